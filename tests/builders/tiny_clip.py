"""A tiny random CLIP saved as a transformers directory (model + BPE tokenizer + image processor), built
offline in a test: the real loading and scoring path of ``ClipScorer`` without real weights."""

from __future__ import annotations

import sys
from pathlib import Path


def build_tiny_clip(out_dir: Path, seed: int = 0) -> Path:
    """Save a 2-layer CLIP (32-d, 32 px images) with a byte-level BPE tokenizer to ``out_dir``."""
    import torch
    from transformers import CLIPConfig, CLIPImageProcessor, CLIPModel

    sys.path.insert(0, str(Path(__file__).parents[1] / "models"))
    from tiny_vlm import build_tokenizer

    tokenizer = build_tokenizer()
    vocab = len(tokenizer)  # type: ignore[arg-type]
    layers = dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2)
    config = CLIPConfig(
        text_config=dict(
            vocab_size=vocab, max_position_embeddings=64, eos_token_id=tokenizer.eos_token_id, **layers
        ),  # type: ignore[attr-defined]
        vision_config=dict(image_size=32, patch_size=8, **layers),
        projection_dim=16,
    )
    torch.manual_seed(seed)
    CLIPModel(config).eval().save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)  # type: ignore[attr-defined]
    CLIPImageProcessor(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32}).save_pretrained(
        out_dir
    )
    return out_dir
