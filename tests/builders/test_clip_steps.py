"""CLIP steps: the scorer loads a local transformers CLIP, the 0.20 thresholds, the linear assignment
against brute force, the bottom-30 % rule, and the loud skip without a model (LLM-jp-3 VILA section 3.1)."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
from datatrove.data import Document
from step_harness import image_bytes, image_doc, run_step, text_doc

from babelvlm.builders.clip_steps import (
    NO_CLIP,
    AssignImages,
    ClipBottomFraction,
    ClipEnsemble,
    ClipRelevance,
    ClipScorer,
    assign_images,
)
from babelvlm.errors import ConfigError


class FixedScorer:
    """A stand-in scorer: the similarity matrix it is given (and embeddings giving chosen pair scores)."""

    def __init__(self, sims: np.ndarray | None = None, scores: list[float] | None = None) -> None:
        self.sims, self.scores = sims, scores

    def similarity(self, images: list[bytes], texts: list[str]) -> np.ndarray:
        assert self.sims is not None
        return self.sims[: len(images), : len(texts)]

    def pair_scores(self, images: list[bytes], texts: list[str]) -> np.ndarray:
        assert self.scores is not None
        return np.array(self.scores[: len(texts)])


def test_scorer_loads_a_local_clip_and_gives_cosines(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    from tiny_clip import build_tiny_clip
    from transformers import CLIPModel

    directory = build_tiny_clip(tmp_path / "clip")
    scorer = ClipScorer(f"hf:{directory}")
    images = [image_bytes(40, 40), image_bytes(50, 30, (200, 10, 10))]
    sims = scorer.similarity(images, ["a cat", "東京タワー", "a red square"])
    assert sims.shape == (2, 3) and np.all(np.abs(sims) <= 1.0 + 1e-6)
    model = CLIPModel.from_pretrained(directory).eval()
    batch = scorer._load()[1](["a cat"], return_tensors="pt")
    with torch.no_grad():
        text = model.get_text_features(**batch)
        text = getattr(text, "pooler_output", text)
    text = text[0].numpy() / np.linalg.norm(text[0].numpy())
    assert np.allclose(scorer.embed_texts(["a cat"])[0], text, atol=1e-5)
    assert np.allclose(scorer.pair_scores(images, ["a cat", "東京タワー"]), np.diag(sims[:, :2]), atol=1e-6)
    other = ClipScorer(f"hf:{build_tiny_clip(tmp_path / 'clip2', seed=1)}")
    both = ClipEnsemble([scorer, other])
    expected = (sims + other.similarity(images, ["a cat", "東京タワー", "a red square"])) / 2
    assert np.allclose(both.similarity(images, ["a cat", "東京タワー", "a red square"]), expected, atol=1e-6)


def test_scorer_rejects_missing_directories(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        ClipScorer(f"hf:{tmp_path / 'none'}")
    with pytest.raises(ConfigError, match="hf:DIR"):
        ClipScorer("openai:x")


def _doc_with_sentences(n_images: int, n_sentences: int) -> Document:
    doc = image_doc(*[(200, 200)] * n_images)
    doc.metadata["sentences"] = [f"文{k}。" for k in range(n_sentences)]
    return doc


@pytest.mark.parametrize(("best", "kept"), [(0.1999, False), (0.20, True), (0.2001, True)])
def test_relevance_threshold(best: float, kept: bool) -> None:
    sims = np.array([[0.05, best, 0.1]])
    out, counts = run_step(ClipRelevance(FixedScorer(sims)), [_doc_with_sentences(1, 3)])  # type: ignore[arg-type]
    assert bool(out[0].media) is kept and counts.get("dropped/clip<0.2", 0) == (not kept)


def test_linear_assignment_equals_brute_force() -> None:
    rng = np.random.default_rng(0)
    for _ in range(30):
        n, m = int(rng.integers(1, 5)), int(rng.integers(4, 7))
        sims = rng.random((n, m))
        best = max(itertools.permutations(range(m), n), key=lambda p: sum(sims[i, p[i]] for i in range(n)))
        got = assign_images(sims)
        assert len(set(got)) == n
        assert sum(sims[i, got[i]] for i in range(n)) == pytest.approx(
            sum(sims[i, best[i]] for i in range(n))
        )


@pytest.mark.parametrize(("low", "kept"), [(0.1999, False), (0.20, True)])
def test_assignment_requires_every_pair_at_threshold(low: float, kept: bool) -> None:
    doc = _doc_with_sentences(2, 3)
    for media, row in zip(doc.media, [[0.9, 0.1, 0.0], [0.95, low, 0.0]], strict=True):
        media.metadata["clip_similarities"] = row
    out, counts = run_step(AssignImages(FixedScorer()), [doc])  # type: ignore[arg-type]
    assert bool(out) is kept
    if kept:
        assert [m.metadata["sentence"] for m in out[0].media] == [0, 1] or [
            m.metadata["sentence"] for m in out[0].media
        ] == [1, 0]
    else:
        assert counts == {"in": 1, "dropped/assigned pair clip<0.2": 1}


def test_bottom_thirty_percent_dropped() -> None:
    scores = [0.9, 0.1, 0.5, 0.3, 0.7, 0.2, 0.8, 0.4, 0.6, 0.05]
    docs = [text_doc(f"alt {k}") for k in range(10)]
    for d in docs:
        d.media = image_doc((200, 200)).media
    out, counts = run_step(ClipBottomFraction(FixedScorer(scores=scores)), docs)  # type: ignore[arg-type]
    assert sorted(d.metadata["clip_score"] for d in out) == sorted(scores)[3:]
    assert counts == {"in": 10, "kept": 7, "dropped/lowest 30% clip": 3}


def test_without_clip_the_steps_are_skipped_loudly() -> None:
    doc = _doc_with_sentences(2, 3)
    out, counts = run_step(ClipRelevance(None), [doc])
    assert len(out[0].media) == 2 and counts == {f"skipped/{NO_CLIP}": 1, "in": 2, "kept": 2}
