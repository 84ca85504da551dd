"""MMStar, SEED-Bench (image), RealWorldQA and LLaVA-Bench (In-the-Wild) from tiny files in their public
formats (VLMEvalKit TSV and the Hugging Face parquet exports), end to end through ``eval`` and ``score``
with ``mock:answer`` (perfect) and ``mock:constant`` (a score known by hand)."""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from PIL import Image
from tsv_fixtures import png_b64, write_tsv

from babelvlm.engine.runner import EvalConfig, run_eval
from babelvlm.engine.score_file import score_predictions
from babelvlm.errors import DataError
from babelvlm.schema import TaskResult
from babelvlm.tasks.base import LoadOptions
from babelvlm.tasks.registry import get_task


def _struct(seed: int) -> dict[str, Any]:
    return {"bytes": base64.b64decode(png_b64(seed)), "path": f"{seed}.png"}


def _parquet(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows), path)
    return path


def _eval(tmp_path: Path, task: str, data: Path, model: str, **options: str) -> TaskResult:
    text = options.pop("text", None)
    config = EvalConfig(
        model=model,
        model_options={"text": text} if text else {},
        tasks=[task],
        data=data,
        out=tmp_path / f"{task}-{model}",
        progress=False,
        write_report=False,
        task_options=options,
    )
    return run_eval(config).tasks[task]


def _score(tmp_path: Path, task: str, data: Path, answers: dict[str, str], **options: str) -> TaskResult:
    preds = tmp_path / f"{task}-preds.jsonl"
    preds.write_text("".join(json.dumps({"id": k, "prediction": v}) + "\n" for k, v in answers.items()))
    run = score_predictions(
        task, preds, data=data, out=tmp_path / f"{task}-scored", task_options=options, write_report=False
    )
    return run.tasks[task]


# ------------------------------------------------------------------------------------------------ MMStar
MMSTAR_ANSWERS = ("A", "A", "B", "C")
MMSTAR_CATEGORY = ("coarse perception", "coarse perception", "math", "math")


def _mmstar_tsv(tmp_path: Path) -> Path:
    header = ("index", "question", "A", "B", "C", "D", "answer", "category", "l2_category", "image")
    rows = [
        {
            "index": i,
            "question": f"Q{i}?",
            "A": "apple",
            "B": "sky",
            "C": "grass",
            "D": "coal",
            "answer": a,
            "category": c,
            "l2_category": "l2-" + c,
            "image": png_b64(i),
        }
        for i, (a, c) in enumerate(zip(MMSTAR_ANSWERS, MMSTAR_CATEGORY, strict=True))
    ]
    return write_tsv(tmp_path / "MMStar.tsv", header, rows)


def _mmstar_parquet(tmp_path: Path) -> Path:
    rows = [
        {
            "index": i,
            "question": f"Which is it {i}?\nOptions: A: apple, B: blue sky, C: grass, D: coal",
            "answer": a,
            "category": c,
            "l2_category": "l2",
            "image": _struct(i),
            "meta_info": "{}",
        }
        for i, (a, c) in enumerate(zip(MMSTAR_ANSWERS, MMSTAR_CATEGORY, strict=True))
    ]
    return _parquet(tmp_path / "mmstar" / "val-00000-of-00001.parquet", rows)


def test_mmstar_tsv_and_hub(tmp_path: Path) -> None:
    tsv, hub = _mmstar_tsv(tmp_path), _mmstar_parquet(tmp_path)
    sample = next(iter(get_task("mmstar").load(LoadOptions(data=hub))))
    assert sample.options == {"A": "apple", "B": "blue sky", "C": "grass", "D": "coal"}
    assert sample.prompt.startswith("Question: Which is it 0?\nOptions:\nA. apple")
    for data in (tsv, hub.parent):
        out = tmp_path / f"run-{data.stem}"
        assert _eval(out, "mmstar", data, "mock:answer").scores["accuracy"] == 1.0
        const = _eval(out, "mmstar", data, "mock:constant", text="A")
        assert const.scores["accuracy"] == 0.5 and const.n_samples == 4
        table = const.extra["breakdowns"]["category"]["table"]
        assert table["coarse perception"]["en"]["accuracy"] == 1.0 and table["math"]["en"]["accuracy"] == 0.0
    scored = _score(
        tmp_path, "mmstar", tsv, {"en/0": "(A)", "en/1": "B", "en/2": "The answer is B", "en/3": "?"}
    )
    assert scored.scores["accuracy"] == 0.5 and scored.scores["extracted"] == 0.75


# ------------------------------------------------------------------------------------------- SEED-Bench
def test_seedbench_tsv_and_hub(tmp_path: Path) -> None:
    header = ("index", "question", "A", "B", "C", "D", "answer", "category", "image")
    tsv = write_tsv(
        tmp_path / "SEEDBench_IMG.tsv",
        header,
        [
            {
                "index": i,
                "question": f"Q{i}",
                "A": "a",
                "B": "b",
                "C": "c",
                "D": "d",
                "answer": "ABCD"[i],
                "category": "Scene Understanding" if i < 2 else "Text Understanding",
                "image": png_b64(i),
            }
            for i in range(4)
        ],
    )
    rows = [
        {
            "question_id": f"q{i}",
            "question": f"Q{i}",
            "choice_a": "a",
            "choice_b": "b",
            "choice_c": "c",
            "choice_d": "d",
            "answer": "ABCD"[i],
            "question_type_id": 1 if i < 2 else 9,
            "data_type": "image",
            "image": [_struct(i)],
            "data_id": f"{i}.jpg",
        }
        for i in range(4)
    ]
    rows.append({**rows[0], "question_id": "v1", "data_type": "video", "image": [_struct(1), _struct(2)]})
    hub = _parquet(tmp_path / "seed" / "test.parquet", rows)
    assert len(list(get_task("seedbench_img").load(LoadOptions(data=hub)))) == 4  # the video row is left out
    for data in (tsv, hub):
        out = tmp_path / f"run-{data.stem}"
        assert _eval(out, "seedbench_img", data, "mock:answer").scores["accuracy"] == 1.0
        const = _eval(out, "seedbench_img", data, "mock:constant", text="B")
        assert const.scores["accuracy"] == 0.25
        table = const.extra["breakdowns"]["category"]["table"]
        assert table["Scene Understanding"]["en"]["accuracy"] == 0.5
        assert table["Text Understanding"]["en"]["accuracy"] == 0.0
    scored = _score(tmp_path, "seedbench_img", hub, {"en/q0": "A", "en/q1": "B"})
    assert scored.scores["accuracy"] == 1.0 and scored.n_failed == 2


# ------------------------------------------------------------------------------------------ RealWorldQA
def test_realworldqa_tsv_and_hub(tmp_path: Path) -> None:
    mcq = (
        "Which object is closer?\nA. the car\nB. the tree\nC. the sign\n"
        "Please answer directly with only the letter."
    )
    rows = [
        {"image": _struct(0), "question": mcq, "answer": "B"},
        {"image": _struct(1), "question": mcq.replace("closer", "further"), "answer": "A"},
        {"image": _struct(2), "question": "How many cars are there?\nAnswer with a number.", "answer": "3"},
    ]
    hub = _parquet(tmp_path / "rwqa" / "test.parquet", rows)
    samples = list(get_task("realworldqa").load(LoadOptions(data=hub)))
    assert samples[0].options == {"A": "the car", "B": "the tree", "C": "the sign"}
    assert "Please answer directly" not in samples[0].prompt and samples[2].options is None
    assert samples[2].prompt == "How many cars are there?\nAnswer with a number."
    header = ("index", "question", "A", "B", "C", "answer", "image")
    tsv = write_tsv(
        tmp_path / "RealWorldQA.tsv",
        header,
        [
            {
                "index": i,
                "question": "Which is closer?",
                "A": "car",
                "B": "tree",
                "C": "sign",
                "answer": a,
                "image": png_b64(i),
            }
            for i, a in enumerate("BAB")
        ],
    )
    for data in (tsv, hub):
        out = tmp_path / f"run-{data.stem}"
        assert _eval(out, "realworldqa", data, "mock:answer").scores["accuracy"] == 1.0
        const = _eval(out, "realworldqa", data, "mock:constant", text="B")
        assert const.scores["accuracy"] == pytest.approx(1 / 3 if data == hub else 2 / 3)
    scored = _score(tmp_path, "realworldqa", hub, {"en/0": "B", "en/1": "B", "en/2": "3"})
    assert scored.scores["accuracy"] == pytest.approx(2 / 3)


def test_answer_outside_the_options_names_the_row(tmp_path: Path) -> None:
    rows = [
        {
            "index": 0,
            "question": "Q?\nOptions: A: x, B: y",
            "answer": "C",
            "category": "c",
            "l2_category": "l",
            "image": _struct(0),
        }
    ]
    with pytest.raises(DataError) as info:
        list(get_task("mmstar").load(LoadOptions(data=_parquet(tmp_path / "bad.parquet", rows))))
    assert (info.value.row, info.value.field) == (1, "answer")


# ------------------------------------------------------------------------------------------ LLaVA-Bench
LLAVA_HEADER = ("index", "question", "caption", "gpt4_ans", "category", "image")


def _llava_dir(tmp_path: Path) -> Path:
    data = tmp_path / "llava"
    for lang, question in (("en", "What is shown?"), ("zh", "图中是什么？")):
        rows = [
            {
                "index": i,
                "question": f"{question} {i}",
                "caption": "A red square.",
                "gpt4_ans": f"reference {i}",
                "category": cat,
                "image": png_b64(i),
            }
            for i, cat in enumerate(("conv", "detail", "complex", "conv"))
        ]
        write_tsv(data / ("LLaVABench.tsv" if lang == "en" else "LLaVABench_zh.tsv"), LLAVA_HEADER, rows)
    return data


def test_llava_bench_relative_scores(tmp_path: Path) -> None:
    data = _llava_dir(tmp_path)
    perfect = _eval(
        tmp_path / "p",
        "llava_bench_wild",
        data,
        "mock:answer",
        judge="mock:constant",
        **{"judge.text": "8 8\nboth equally good"},
    )
    assert perfect.scores["relative_score"] == pytest.approx(100.0) and perfect.n_samples == 8
    assert perfect.by_language["zh"]["relative_score"] == pytest.approx(100.0)
    const = _eval(
        tmp_path / "c",
        "llava_bench_wild",
        data,
        "mock:constant",
        text="a square",
        judge="mock:constant",
        **{"judge.text": "8 6"},
    )
    assert const.scores["relative_score"] == pytest.approx(75.0)
    assert const.extra["llava_bench"]["by_language"]["en"]["categories"]["detail"][
        "relative"
    ] == pytest.approx(75.0)
    assert const.extra["judge"]["failed_judgements"] == 0 and const.extra["judge"]["temperature"] == 0.0


def test_llava_bench_pooled_headline_and_hub_format(tmp_path: Path) -> None:
    """Pooled "all" differs from the mean of categories when categories have different sizes."""
    rows = [
        {
            "question_id": i,
            "question": f"Q{i}",
            "caption": "c",
            "gpt_answer": f"ref {i}",
            "category": cat,
            "image": _struct(i),
            "image_id": str(i),
        }
        for i, cat in enumerate(("conv", "conv", "detail", "complex"))
    ]
    hub = _parquet(tmp_path / "llava-bench-in-the-wild.parquet", rows)
    script = json.dumps(["10 5", "10 5", "10 10", "10 10"])  # conv 50 %, detail and complex 100 %
    result = _eval(
        tmp_path, "llava_bench_wild", hub, "mock:echo", judge="mock:sequence", **{"judge.replies": script}
    )
    assert result.scores["relative_score"] == pytest.approx(100 * 30 / 40)
    assert result.scores["relative_mean_of_categories"] == pytest.approx((50 + 100 + 100) / 3)
    answers = {f"en/{i}": "an answer" for i in range(3)}
    scored = _score(
        tmp_path, "llava_bench_wild", hub, answers, judge="mock:constant", **{"judge.text": "9 3"}
    )
    assert scored.scores["relative_score"] == pytest.approx(100 / 3) and scored.n_failed == 1


def test_llava_bench_without_a_judge_is_skipped(tmp_path: Path) -> None:
    result = _eval(tmp_path, "llava_bench_wild", _llava_dir(tmp_path), "mock:answer")
    assert "relative_score" not in result.scores and str(result.extra["judge"]).startswith("skipped")
    assert "judge_model" not in result.n_excluded


def test_llava_bench_bad_category(tmp_path: Path) -> None:
    rows = [
        {
            "index": 1,
            "question": "q",
            "caption": "c",
            "gpt4_ans": "a",
            "category": "chat",
            "image": png_b64(0),
        }
    ]
    path = write_tsv(tmp_path / "LLaVABench.tsv", LLAVA_HEADER, rows)
    with pytest.raises(DataError) as info:
        list(get_task("llava_bench_wild").load(LoadOptions(data=path)))
    assert info.value.field == "category" and info.value.row == 1


def test_png_fixture_is_an_image() -> None:
    assert Image.open(io.BytesIO(base64.b64decode(png_b64(3)))).size == (8, 8)
