"""MultiExpArt with BERTScore from a tiny local encoder built in the test, or reported as skipped."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

pytest.importorskip("transformers")
sys.path.insert(0, str(Path(__file__).parent.parent / "metrics"))
from tiny_encoder import build_tiny_encoder

from babelvlm.engine.score_file import score_predictions
from babelvlm.errors import ConfigError
from babelvlm.metrics.bertscore import BertScorer
from babelvlm.tasks.base import LoadOptions
from babelvlm.tasks.multiexpart_prompts import render
from babelvlm.tasks.registry import get_task

GOLD = ["the painting shows a woman", "an old man with a hat by the river"]


@pytest.fixture(scope="module")
def encoder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_encoder(tmp_path_factory.mktemp("enc") / "tiny-bert")


@pytest.fixture()
def data(tmp_path: Path) -> Path:
    rows = [
        {"text_id": i, "title": t, "en_title": t, "lang": "en", "source_lang": "en", "target_lang": "en",
         "image_url": f"https://example.org/{i}.png", "en_image_url": f"https://example.org/{i}.png",
         "template": "en_template1_section", "gold": gold, "gold_entity": [],
         "prompt": render("en", "1", "section", {"title": t, "section": "History"})}
        for i, (t, gold) in enumerate(zip(("Portrait", "Landscape"), GOLD, strict=True))
    ]  # fmt: skip
    path = tmp_path / "mea.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _score(data: Path, out: Path, answer: str, **options: str):  # type: ignore[no-untyped-def]
    samples = list(get_task("multiexpart_full").load(LoadOptions(data=data, extra=options)))
    preds = out.parent / f"{out.name}.jsonl"
    preds.write_text("".join(json.dumps({"id": s.id, "prediction": answer}) + "\n" for s in samples))
    run = score_predictions("multiexpart_full", preds, data=data, out=out, task_options=options,
                            write_report=False)  # fmt: skip
    return run.tasks["multiexpart_full"]


def test_bertscore_from_a_local_encoder(data: Path, encoder: Path, tmp_path: Path) -> None:
    answer = "the painting shows a woman"
    result = _score(data, tmp_path / "b", answer, bertscore_model=str(encoder))
    scorer = BertScorer(str(encoder))
    expected = [scorer.score(answer, [gold]).f1 * 100 for gold in GOLD]
    assert expected[0] == pytest.approx(100.0, abs=1e-4)
    assert result.scores["bertscore"] == pytest.approx(sum(expected) / 2)
    assert result.extra["bertscore"]["idf"] is False and result.extra["bertscore"]["layer"] is None
    assert result.extra["bertscore"]["rescaled_with_baseline"] is False
    assert "skipped_metrics" not in result.extra


def test_without_an_encoder_bertscore_is_said_to_be_skipped(data: Path, tmp_path: Path) -> None:
    result = _score(data, tmp_path / "s", "a portrait")
    assert "bertscore" not in result.scores and "bertscore" not in result.n_excluded
    assert "bertscore_model=DIR" in result.extra["skipped_metrics"]["bertscore"]


def test_bad_encoder_options_fail_at_load(data: Path, tmp_path: Path, encoder: Path) -> None:
    task = get_task("multiexpart_full")
    with pytest.raises(ConfigError, match="not a directory"):
        list(task.load(LoadOptions(data=data, extra={"bertscore_model": str(tmp_path / "none")})))
    with pytest.raises(ConfigError, match="bertscore_layer=x"):
        list(
            task.load(LoadOptions(data=data, extra={"bertscore_model": str(encoder), "bertscore_layer": "x"}))
        )
