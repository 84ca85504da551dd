"""BERTScore (Zhang et al., 2020, "BERTScore: Evaluating Text Generation with BERT") on a local encoder.

The definition of the bert-score package, idf off: both texts are encoded with special tokens, the
hidden states of one layer are L2-normalised, each candidate token is matched to its most similar
reference token (precision) and each reference token to its most similar candidate token (recall), the
special tokens ([CLS]/[SEP] or <s>/</s>) weigh 0 and every other token 1; F = 2PR / (P + R). With several
references each of P, R and F is its maximum over them (as bert-score does). Baseline rescaling
((x - b) / (1 - b)) only when a baseline file in bert-score's format (``LAYER,P,R,F`` rows) is given.

Written here with transformers rather than through the bert-score package (0.3.13, 2023) because that
package picks the layer and the baseline file by Hub model name, so a local encoder directory needs both
spelled out by hand, and it adds a dependency for ~40 lines of arithmetic; the numbers are checked against
bert-score 0.3.13 on a tiny encoder (tests/data/bertscore_goldens.json). Nothing is downloaded.
"""

from __future__ import annotations

import csv
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from babelvlm.errors import ConfigError, DataError, MissingDependencyError


@dataclass(frozen=True)
class BertScore:
    """Precision, recall and F1 of one candidate (0-1, or rescaled), each the best over the references."""

    precision: float
    recall: float
    f1: float


class BertScorer:
    """A loaded encoder directory; ``layer`` = which hidden layer (default: the last one)."""

    def __init__(self, model_dir: str, layer: int | None = None, baseline: str | None = None) -> None:
        if not Path(model_dir).is_dir():
            raise ConfigError(f"bertscore_model={model_dir} is not a directory (fix: a local encoder folder)")
        try:
            import torch
            from transformers import AutoModel, AutoTokenizer
        except ImportError as exc:
            raise MissingDependencyError("transformers", "hf", "BERTScore") from exc
        self._torch = torch
        self.tokenizer = AutoTokenizer.from_pretrained(model_dir)
        self.model = AutoModel.from_pretrained(model_dir).eval()
        n_layers = int(self.model.config.num_hidden_layers)
        self.layer = n_layers if layer is None else layer
        if not 0 <= self.layer <= n_layers:
            raise ConfigError(f"bertscore_layer={layer} is outside 0-{n_layers} for {model_dir}")
        self.baseline = read_baseline(baseline, self.layer) if baseline else None
        self._lock = threading.Lock()

    def _embed(self, text: str) -> tuple[Any, Any]:
        """Normalised hidden states of ``layer`` and the 0/1 weights (special tokens 0)."""
        if not text.strip():
            raise DataError("BERTScore of an empty text is undefined", field="prediction")
        torch = self._torch
        enc = self.tokenizer(
            text.strip(), return_tensors="pt", truncation=True, return_special_tokens_mask=True
        )
        special = enc.pop("special_tokens_mask")[0]
        with self._lock, torch.no_grad():
            states = self.model(**enc, output_hidden_states=True).hidden_states[self.layer][0]
        states = states / states.norm(dim=-1, keepdim=True)
        return states.double(), (1 - special).double()

    def score(self, candidate: str, references: Sequence[str]) -> BertScore:
        """P, R and F each maximised over the references (bert-score's multi-reference rule)."""
        hyp, hyp_w = self._embed(candidate)
        found: list[BertScore] = []
        for reference in references:
            ref, ref_w = self._embed(reference)
            sim = hyp @ ref.T  # candidate tokens x reference tokens
            precision = float((sim.max(dim=1).values * hyp_w).sum() / hyp_w.sum())
            recall = float((sim.max(dim=0).values * ref_w).sum() / ref_w.sum())
            f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
            found.append(self._rescaled(BertScore(precision, recall, f1)))
        if not found:
            raise DataError("BERTScore needs at least one reference", field="references")
        return BertScore(
            max(x.precision for x in found), max(x.recall for x in found), max(x.f1 for x in found)
        )

    def _rescaled(self, raw: BertScore) -> BertScore:
        if self.baseline is None:
            return raw
        p, r, f = self.baseline
        return BertScore((raw.precision - p) / (1 - p), (raw.recall - r) / (1 - r), (raw.f1 - f) / (1 - f))


def read_baseline(path: str, layer: int) -> tuple[float, float, float]:
    """The (P, R, F) baseline of ``layer`` from a bert-score baseline file (CSV ``LAYER,P,R,F``)."""
    try:
        with Path(path).open(encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                if int(row["LAYER"]) == layer:
                    return float(row["P"]), float(row["R"]), float(row["F"])
    except (OSError, KeyError, ValueError) as exc:
        raise DataError(
            f"not a bert-score baseline file ({exc})", file=path, fix="columns LAYER,P,R,F"
        ) from exc
    raise DataError(f"has no row for layer {layer}", file=path, field="LAYER", fix="use the encoder's file")


@lru_cache(maxsize=2)
def load_scorer(model_dir: str, layer: int | None = None, baseline: str | None = None) -> BertScorer:
    """A cached scorer per (directory, layer, baseline)."""
    return BertScorer(model_dir, layer, baseline)
