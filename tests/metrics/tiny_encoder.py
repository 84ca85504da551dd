"""A tiny BERT encoder directory (word-piece vocabulary + 2 random layers, seeded) for BERTScore tests."""

from __future__ import annotations

from pathlib import Path

WORDS = (
    "the",
    "cat",
    "dog",
    "sat",
    "on",
    "mat",
    "a",
    "red",
    "blue",
    "painting",
    "of",
    "woman",
    "smiles",
    "portrait",
    "by",
    "leonardo",
    "da",
    "vinci",
    "museum",
    "louvre",
    "paris",
    "is",
    "in",
    "shows",
    "an",
    "old",
    "man",
    "with",
    "hat",
    "landscape",
    "river",
)


def build_tiny_encoder(directory: Path, seed: int = 0) -> Path:
    """Save a 2-layer, 32-dim BertModel and its tokenizer to ``directory`` (same weights for a seed)."""
    import torch
    from transformers import BertConfig, BertModel, BertTokenizerFast

    directory.mkdir(parents=True, exist_ok=True)
    vocab = [
        "[PAD]",
        "[UNK]",
        "[CLS]",
        "[SEP]",
        "[MASK]",
        *WORDS,
        *(f"##{c}" for c in "abcdefghijklmnopqrstuvwxyz"),
    ]
    (directory / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    tokenizer = BertTokenizerFast(str(directory / "vocab.txt"), do_lower_case=True, model_max_length=64)
    tokenizer.save_pretrained(directory)
    torch.manual_seed(seed)
    config = BertConfig(vocab_size=len(vocab), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=64)  # fmt: skip
    BertModel(config).eval().save_pretrained(directory)
    return directory
