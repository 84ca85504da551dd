"""BERTScore on a tiny local encoder built in the test: equal to bert-score 0.3.13's numbers (goldens), the
greedy-matching definition by hand, layers, multi-reference, rescaling, and clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("transformers")

from tiny_encoder import build_tiny_encoder

from babelvlm.errors import ConfigError, DataError
from babelvlm.metrics import get_metric
from babelvlm.metrics.bertscore import BertScorer, read_baseline

GOLDENS = json.loads((Path(__file__).parent.parent / "data" / "bertscore_goldens.json").read_text("utf-8"))


@pytest.fixture(scope="module")
def encoder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_encoder(tmp_path_factory.mktemp("enc") / "tiny-bert")


@pytest.mark.parametrize("case", GOLDENS["cases"], ids=lambda c: f"L{c['layer']}-{c['candidate'][:12]}")
def test_equals_bert_score_package(encoder: Path, case: dict[str, object]) -> None:
    scorer = BertScorer(str(encoder), layer=int(case["layer"]))  # type: ignore[call-overload]
    got = scorer.score(str(case["candidate"]), list(case["references"]))  # type: ignore[call-overload]
    assert got.precision == pytest.approx(case["P"], abs=1e-5)
    assert got.recall == pytest.approx(case["R"], abs=1e-5)
    assert got.f1 == pytest.approx(case["F"], abs=1e-5)


def test_greedy_matching_by_hand(encoder: Path) -> None:
    """P = mean over candidate tokens of the best cosine to any reference token (special tokens weigh 0)."""
    import torch

    scorer = BertScorer(str(encoder))
    hyp, hyp_w = scorer._embed("red dog")
    ref, ref_w = scorer._embed("the cat sat")
    assert hyp_w.tolist() == [0.0, 1.0, 1.0, 0.0] and len(ref_w) == 5
    best_for_red = max(float(torch.dot(hyp[1], ref[j])) for j in range(5))
    best_for_dog = max(float(torch.dot(hyp[2], ref[j])) for j in range(5))
    recall = sum(max(float(torch.dot(hyp[i], ref[j])) for i in range(4)) for j in (1, 2, 3)) / 3
    got = scorer.score("red dog", ["the cat sat"])
    assert got.precision == pytest.approx((best_for_red + best_for_dog) / 2)
    assert got.recall == pytest.approx(recall)
    assert got.f1 == pytest.approx(2 * got.precision * got.recall / (got.precision + got.recall))


def test_registry_metric_best_reference_and_rescaling(encoder: Path, tmp_path: Path) -> None:
    metric = get_metric("bertscore")
    same = metric("the cat sat on the mat", ["red dog", "the cat sat on the mat"], model_dir=str(encoder))
    assert same == pytest.approx(100.0, abs=1e-4)
    baseline = tmp_path / "en" / "tiny.tsv"
    baseline.parent.mkdir()
    baseline.write_text("LAYER,P,R,F\n1,0.5,0.5,0.5\n2,0.8,0.6,0.7\n", encoding="utf-8")
    assert read_baseline(str(baseline), 2) == (0.8, 0.6, 0.7)
    raw = metric("red dog", ["the cat sat"], model_dir=str(encoder))
    rescaled = metric("red dog", ["the cat sat"], model_dir=str(encoder), baseline=str(baseline))
    assert rescaled == pytest.approx(((raw / 100 - 0.7) / 0.3) * 100)


def test_errors(encoder: Path, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="bertscore_layer=7"):
        BertScorer(str(encoder), layer=7)
    with pytest.raises(ConfigError, match="not a directory"):
        BertScorer(str(tmp_path / "nothing"))
    with pytest.raises(DataError, match="empty"):
        BertScorer(str(encoder)).score("  ", ["a cat"])
    bad = tmp_path / "b.tsv"
    bad.write_text("LAYER,P,R,F\n1,0.1,0.1,0.1\n", encoding="utf-8")
    with pytest.raises(DataError, match="no row for layer 2"):
        read_baseline(str(bad), 2)
