"""CLIP steps (LLM-jp-3 VILA section 3.1, after MMC4): image-sentence similarity >= 0.20, images assigned to
sentences by linear assignment (scipy), and the alt-text pairs' lowest 30 % by CLIP score dropped (the
fraction turned into a threshold over each sample, as DataComp does).

The scorer is any local CLIP/SigLIP directory transformers loads (``hf:DIR``). No CLIP weights ship
offline, so without one these steps are skipped loudly (``stats.json`` and the CLI), never passed silently.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
from datatrove.data import Document, Media
from scipy.optimize import linear_sum_assignment

from babelvlm.builders.steps import IN, KEPT, Drop, MediaFilter, Transform, WindowedStep
from babelvlm.errors import ConfigError

NO_CLIP = "no CLIP model given (--clip hf:DIR)"


class ClipScorer:
    """Cosine similarities of images and texts from a local transformers CLIP/SigLIP directory; the model
    is loaded on first use (so the scorer pickles cheaply to other processes)."""

    def __init__(self, name: str, batch_size: int = 32) -> None:
        if not name.startswith("hf:"):
            raise ConfigError(f"unsupported CLIP model '{name}' (fix: give a local directory as hf:DIR)")
        self.path = Path(name[3:])
        if not self.path.is_dir():
            raise ConfigError(f"CLIP directory {self.path} does not exist (fix: point --clip at it)")
        self.name, self.batch_size = name, batch_size
        self._parts: tuple[Any, Any, Any] | None = None

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_parts": None}

    def _load(self) -> tuple[Any, Any, Any]:
        if self._parts is None:
            from transformers import AutoImageProcessor, AutoModel, AutoTokenizer

            model = AutoModel.from_pretrained(self.path).eval()
            self._parts = (
                model,
                AutoTokenizer.from_pretrained(self.path),
                AutoImageProcessor.from_pretrained(self.path),  # type: ignore[no-untyped-call]
            )
        return self._parts

    def embed_images(self, images: list[bytes]) -> np.ndarray:
        """L2-normalised image embeddings, one row per image."""
        import torch
        from PIL import Image

        model, _, processor = self._load()
        rows = []
        for i in range(0, len(images), self.batch_size):
            pil = [Image.open(io.BytesIO(b)).convert("RGB") for b in images[i : i + self.batch_size]]
            with torch.no_grad():
                feats = model.get_image_features(**processor(images=pil, return_tensors="pt"))
            rows.append(_features(feats))
        return _normalise(np.concatenate(rows)) if rows else np.zeros((0, 1), np.float32)

    def embed_texts(self, texts: list[str]) -> np.ndarray:
        """L2-normalised text embeddings, one row per text (truncated to the model's length)."""
        import torch

        model, tokenizer, _ = self._load()
        limit = int(getattr(model.config.text_config, "max_position_embeddings", 77))
        rows = []
        for i in range(0, len(texts), self.batch_size):
            batch = tokenizer(
                texts[i : i + self.batch_size],
                padding=True,
                truncation=True,
                max_length=limit,
                return_tensors="pt",
            )
            with torch.no_grad():
                feats = model.get_text_features(
                    input_ids=batch["input_ids"], attention_mask=batch.get("attention_mask")
                )
            rows.append(_features(feats))
        return _normalise(np.concatenate(rows)) if rows else np.zeros((0, 1), np.float32)

    def similarity(self, images: list[bytes], texts: list[str]) -> np.ndarray:
        """Cosine similarity matrix (images x texts)."""
        return np.asarray(self.embed_images(images) @ self.embed_texts(texts).T)

    def pair_scores(self, images: list[bytes], texts: list[str]) -> np.ndarray:
        """Cosine similarity of each (image, text) pair."""
        return np.asarray(np.sum(self.embed_images(images) * self.embed_texts(texts), axis=1))


class ClipEnsemble:
    """Several CLIP scorers averaged (seed 002 scores pairs with OpenCLIP and a Japanese CLIP)."""

    def __init__(self, scorers: list[ClipScorer]) -> None:
        if not scorers:
            raise ConfigError("a CLIP ensemble needs at least one model (fix: give --clip hf:DIR)")
        self.scorers = scorers
        self.name = "+".join(s.name for s in scorers)

    def similarity(self, images: list[bytes], texts: list[str]) -> np.ndarray:
        """Mean cosine similarity matrix (images x texts) over the models."""
        return np.asarray(np.mean([s.similarity(images, texts) for s in self.scorers], axis=0))

    def pair_scores(self, images: list[bytes], texts: list[str]) -> np.ndarray:
        """Mean cosine similarity of each (image, text) pair over the models."""
        return np.asarray(np.mean([s.pair_scores(images, texts) for s in self.scorers], axis=0))


def clip_scorer(names: tuple[str, ...]) -> ClipEnsemble | None:
    """The scorer of the ``--clip`` models given (None when none is: the CLIP steps are then skipped)."""
    return ClipEnsemble([ClipScorer(n) for n in names]) if names else None


def _features(output: Any) -> np.ndarray:
    tensor = output if hasattr(output, "detach") else output.pooler_output  # transformers 5 may wrap them
    return np.asarray(tensor.detach().float().numpy(), dtype=np.float32)


def _normalise(x: np.ndarray) -> np.ndarray:
    norms: np.ndarray = np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
    return np.asarray(x / norms, dtype=np.float32)


class _ClipStep:
    """Mixin: the scorer is optional; without one the step is skipped loudly."""

    scorer: ClipEnsemble | ClipScorer | None

    def unavailable(self) -> str | None:
        return NO_CLIP if self.scorer is None else None


class ClipRelevance(_ClipStep, MediaFilter):
    """Drop images whose best CLIP similarity to any sentence of their document is under ``min_similarity``
    (seed 002 section 3.1: 0.20); each image's similarities are kept for the assignment."""

    name = "clip_relevance"

    def __init__(self, scorer: ClipEnsemble | ClipScorer | None, min_similarity: float = 0.20) -> None:
        super().__init__()
        self.scorer, self.min_similarity = scorer, min_similarity

    def check(self, media: Media, doc: Document) -> str | None:
        raise NotImplementedError("ClipRelevance judges a document's images together (check_batch)")

    def check_batch(self, items: Any) -> list[str | None]:
        assert self.scorer is not None  # unavailable() keeps this step from running without one
        verdicts: dict[int, str | None] = {}
        for doc in {id(d): d for _, d in items}.values():
            sims = self.scorer.similarity(
                [m.media_bytes or b"" for m in doc.media], doc.metadata["sentences"]
            )
            for media, row in zip(doc.media, sims, strict=True):
                media.metadata["clip_similarities"] = [round(float(x), 6) for x in row]
                best = float(row.max()) if row.size else -1.0
                verdicts[id(media)] = None if best >= self.min_similarity else f"clip<{self.min_similarity}"
        return [verdicts[id(m)] for m, _ in items]


def assign_images(similarity: np.ndarray) -> list[int]:
    """The sentence of each image (rows) maximising the total similarity, each sentence used at most once
    (MMC4's assignment; scipy's linear_sum_assignment, as lapjv solves it)."""
    rows, cols = linear_sum_assignment(similarity, maximize=True)
    order = dict(zip(rows.tolist(), cols.tolist(), strict=True))
    return [order[i] for i in range(similarity.shape[0])]


class AssignImages(_ClipStep, Transform):
    """Place each image before the sentence linear assignment gives it (``metadata['sentence']``); drop the
    document when an image gets no sentence or an assigned pair is under ``min_similarity`` (0.20)."""

    name = "assign_images"

    def __init__(self, scorer: ClipEnsemble | ClipScorer | None, min_similarity: float = 0.20) -> None:
        super().__init__()
        self.scorer, self.min_similarity = scorer, min_similarity

    def apply(self, doc: Document) -> Document | Drop:
        if not doc.media:
            return doc
        sims = np.array([m.metadata["clip_similarities"] for m in doc.media], dtype=np.float64)
        if sims.shape[0] > sims.shape[1]:
            return Drop("more images than sentences")
        for i, (media, sentence) in enumerate(zip(doc.media, assign_images(sims), strict=True)):
            if sims[i, sentence] < self.min_similarity:
                return Drop(f"assigned pair clip<{self.min_similarity}")
            media.metadata["sentence"] = sentence
        return doc


class ClipBottomFraction(_ClipStep, WindowedStep):
    """Alt-text pairs: drop the lowest ``fraction`` (seed 002: 30 %) by CLIP score; the fraction becomes a
    threshold (the score at that quantile) over each sample of ``sample_size`` pairs, as DataComp does."""

    name = "clip_bottom_fraction"

    def __init__(
        self, scorer: ClipEnsemble | ClipScorer | None, fraction: float = 0.30, sample_size: int = 60_000
    ) -> None:
        super().__init__()
        self.scorer, self.fraction, self.sample_size = scorer, fraction, sample_size

    def judge_sample(self, docs: list[Document]) -> Iterator[Document]:
        assert self.scorer is not None
        scores = self.scorer.pair_scores(
            [d.media[0].media_bytes or b"" for d in docs], [d.text for d in docs]
        )
        threshold = float(np.quantile(scores, self.fraction))
        for doc, score in zip(docs, scores, strict=True):
            self.count(IN)
            doc.metadata["clip_score"] = round(float(score), 6)
            if score < threshold:
                self.drop(f"lowest {round(self.fraction * 100)}% clip", doc)
            else:
                self.count(KEPT)
                yield doc
