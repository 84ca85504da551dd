"""Japanese benchmarks: public parquet / JSON formats, ROUGE-L (ja), judge scores and Heron relative."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from PIL import Image

from babelvlm.errors import DataError
from babelvlm.models.base import ModelAPI
from babelvlm.tasks.base import LoadOptions
from babelvlm.tasks.japanese import TASKS

TASK = {t.name: t for t in TASKS}


def _png_bytes() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), (0, 128, 0)).save(buf, format="PNG")
    return buf.getvalue()


def _parquet(path: Path, rows: list[dict[str, Any]]) -> Path:
    pq.write_table(pa.Table.from_pylist(rows), path)
    return path


@pytest.fixture()
def files(tmp_path: Path) -> dict[str, Path]:
    image = {"bytes": _png_bytes(), "path": "x.png"}
    heron = [
        {"question_id": i, "image": image, "category": c, "text": f"質問{i}", "context": "説明",
         "answer": {"gpt-4-0125-preview": f"参照回答{i}", "claude-3-opus": "別"}}
        for i, c in enumerate(["conv", "detail", "complex", "conv"])
    ]  # fmt: skip
    wild = [
        {"page_url": "u", "image_url": "u", "image": image, "question": "車は何色ですか？", "answer": "白色"}
    ] * 2
    vg = [{"image_id": 7, "image": image, "qas": [
        {"qa_id": 70, "question": "車は何色ですか？", "answer": "白色"},
        {"qa_id": 71, "question": "空は何色ですか？", "answer": "青い"},
    ]}]  # fmt: skip
    return {
        "heron_bench": _parquet(tmp_path / "heron.parquet", heron),
        "ja_vlm_bench_in_the_wild": _parquet(tmp_path / "wild.parquet", wild),
        "ja_vg_vqa_500": _parquet(tmp_path / "vg.parquet", vg),
    }


def test_loading_public_formats(files: dict[str, Path]) -> None:
    heron = list(TASK["heron_bench"].load(LoadOptions(data=files["heron_bench"])))
    assert [s.id for s in heron] == ["0", "1", "2", "3"] and heron[0].references == ["参照回答0"]
    assert heron[1].meta["category"] == "detail" and heron[0].images[0].data == _png_bytes()
    wild = list(TASK["ja_vlm_bench_in_the_wild"].load(LoadOptions(data=files["ja_vlm_bench_in_the_wild"])))
    assert [s.id for s in wild] == ["0", "1"] and wild[0].prompt == "車は何色ですか？"
    vg = list(TASK["ja_vg_vqa_500"].load(LoadOptions(data=files["ja_vg_vqa_500"])))
    assert [(s.id, s.references) for s in vg] == [("70", ["白色"]), ("71", ["青い"])]
    assert list(TASK["ja_vg_vqa_500"].load(LoadOptions(data=files["ja_vg_vqa_500"], langs=["en"]))) == []


def test_bad_rows(tmp_path: Path) -> None:
    rows = [{"question_id": 1, "image": "a.png", "category": "chat", "text": "q", "answer": "a"},
            {"question_id": 2, "image": "a.png", "category": "conv", "text": "q", "answer": "a"}]  # fmt: skip
    path = tmp_path / "heron.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    with pytest.raises(DataError) as info:
        list(TASK["heron_bench"].load(LoadOptions(data=path)))
    assert (info.value.row, info.value.field) == (1, "category")
    assert [s.id for s in TASK["heron_bench"].load(LoadOptions(data=path, skip_bad_rows=True))] == ["2"]


def test_rouge_l_ja_figure2_example(files: dict[str, Path]) -> None:
    sample = next(iter(TASK["ja_vg_vqa_500"].load(LoadOptions(data=files["ja_vg_vqa_500"]))))
    assert TASK["ja_vg_vqa_500"].score(sample, "白色")["rouge_l"] == pytest.approx(100.0)
    assert TASK["ja_vg_vqa_500"].score(sample, "車は白いです。")["rouge_l"] == 0.0


def _judge_patch(monkeypatch: pytest.MonkeyPatch, reply: str) -> None:
    from babelvlm.models import registry
    from babelvlm.models.mock import create

    def fake_load(name: str, options: dict[str, str] | None = None) -> ModelAPI:
        return create("constant", {"text": reply})

    monkeypatch.setattr(registry, "load_model", fake_load)
    for task in TASKS:
        task._judges.clear()  # type: ignore[attr-defined]


def _eval(tmp_path: Path, task: str, data: Path, **task_options: str):  # type: ignore[no-untyped-def]
    from babelvlm.engine.runner import EvalConfig, run_eval

    config = EvalConfig(
        model="mock:answer", tasks=[task], data=data, out=tmp_path / f"{task}-{len(task_options)}",
        progress=False, write_report=False, task_options=dict(task_options),
    )  # fmt: skip
    return run_eval(config).tasks[task]


def test_without_judge_judge_metrics_are_skipped(files: dict[str, Path], tmp_path: Path) -> None:
    result = _eval(tmp_path, "ja_vg_vqa_500", files["ja_vg_vqa_500"])
    assert result.scores["rouge_l"] == pytest.approx(100.0)
    assert "judge_score" not in result.scores and "judge_score" not in result.n_excluded
    assert str(result.extra["judge"]).startswith("skipped")
    heron = _eval(tmp_path, "heron_bench", files["heron_bench"])
    assert "heron_relative" not in heron.scores and heron.n_failed == 0


def test_judge_1_to_5_and_failures(
    files: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _judge_patch(monkeypatch, "The answer is right.\nScore: 4")
    result = _eval(
        tmp_path, "ja_vlm_bench_in_the_wild", files["ja_vlm_bench_in_the_wild"], judge="mock:constant"
    )
    assert result.scores["judge_score"] == 4.0 and result.extra["judge"]["failed_judgements"] == 0
    _judge_patch(monkeypatch, "no verdict here")
    failed = _eval(tmp_path, "ja_vg_vqa_500", files["ja_vg_vqa_500"], judge="mock:constant")
    assert "judge_score" not in failed.scores and failed.n_excluded["judge_score"] == 2
    assert failed.extra["judge"]["failed_judgements"] == 2


def test_heron_relative_per_category(
    files: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _judge_patch(monkeypatch, "8 6\nAssistant 2 is less detailed.")
    result = _eval(tmp_path, "heron_bench", files["heron_bench"], judge="mock:constant")
    assert result.extra["heron"]["categories"]["conv"]["relative"] == pytest.approx(75.0)
    assert result.scores["heron_relative"] == pytest.approx(75.0)
    assert result.scores["judge_reference"] == 8.0


def test_every_task_scores_predictions_and_evals_perfectly(files: dict[str, Path], tmp_path: Path) -> None:
    """`babelvlm score` on each public format (known ROUGE-L), and `eval` with mock:answer scores 100."""
    from babelvlm.engine.score_file import score_predictions

    wild = _eval(tmp_path, "ja_vlm_bench_in_the_wild", files["ja_vlm_bench_in_the_wild"])
    assert wild.scores["rouge_l"] == pytest.approx(100.0) and wild.n_samples == 2 and wild.n_failed == 0
    answers = {"70": "白色", "71": "車は白いです。"}  # right, then wrong (ROUGE-L 0 against 青い)
    preds = tmp_path / "vg.jsonl"
    preds.write_text("".join(json.dumps({"id": k, "prediction": v}) + "\n" for k, v in answers.items()))
    vg = score_predictions("ja_vg_vqa_500", preds, data=files["ja_vg_vqa_500"], out=tmp_path / "vg",
                           write_report=False).tasks["ja_vg_vqa_500"]  # fmt: skip
    assert vg.scores["rouge_l"] == pytest.approx(50.0) and vg.n_samples == 2 and vg.n_failed == 0
    heron_preds = tmp_path / "heron.jsonl"
    heron_preds.write_text("".join(json.dumps({"id": str(i), "prediction": "答"}) + "\n" for i in range(3)))
    heron = score_predictions("heron_bench", heron_preds, data=files["heron_bench"], out=tmp_path / "h",
                              write_report=False).tasks["heron_bench"]  # fmt: skip
    assert heron.n_samples == 4 and heron.n_failed == 1  # sample "3" has no prediction: a counted failure
    assert "heron_relative" not in heron.scores  # no judge given: no number


def test_heron_headline_is_undefined_when_a_category_has_no_judgement(
    files: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The judge fails on the only 'detail' item: conv and complex keep their relative scores, the headline
    (mean of all three categories) is None and counted as undefined, never a mean over two."""
    from babelvlm.models import registry
    from babelvlm.schema import Output, Request

    class PartialJudge(ModelAPI):
        name = "partial"

        @property
        def fingerprint(self) -> str:
            return "partial-judge"

        def generate(self, requests: list[Request]) -> list[Output]:
            return [
                Output(error="timeout") if "参照回答1" in r.prompt else Output(text="8 6") for r in requests
            ]

    monkeypatch.setattr(registry, "load_model", lambda name, options=None: PartialJudge())
    for task in TASKS:
        task._judges.clear()  # type: ignore[attr-defined]
    result = _eval(tmp_path, "heron_bench", files["heron_bench"], judge="mock:partial")
    heron = result.extra["heron"]
    assert heron["overall"] is None and heron["missing_categories"] == ["detail"]
    assert "detail" in heron["overall_undefined"]
    assert heron["categories"]["conv"]["relative"] == pytest.approx(75.0)
    assert heron["categories"]["complex"]["relative"] == pytest.approx(75.0) and heron["n_failed"] == 1
    assert "heron_relative" not in result.scores and result.n_excluded["heron_relative"] == 4
    assert result.extra["judge"]["failed_judgements"] == 1
