"""A tiny random BERT with a word-piece vocabulary, saved to a folder that ``hf:DIR`` loads (eq. 1 tests)."""

from __future__ import annotations

import re
from pathlib import Path


def build_tiny_encoder(folder: Path, texts: list[str]) -> Path:
    """Save a 2-layer, 32-wide BERT and a tokenizer whose vocabulary holds every word of ``texts``."""
    import torch
    from transformers import BertConfig, BertModel, BertTokenizerFast

    words = sorted({w for t in texts for w in re.findall(r"\w+|[^\w\s]", t.lower())})
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *words]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    BertTokenizerFast(vocab_file=str(folder / "vocab.txt")).save_pretrained(folder)
    torch.manual_seed(0)
    config = BertConfig(vocab_size=len(vocab), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=128)  # fmt: skip
    BertModel(config).save_pretrained(folder)
    return folder
