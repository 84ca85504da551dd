"""The judge protocol (LLM-jp-3 VILA, section 4.3): temperature 0, seed 0, N runs -> mean and sd per metric,
every judgement in the run store; checked with mock judges scripted per run."""

from __future__ import annotations

import io
import json
import sqlite3
import statistics
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from PIL import Image

from babelvlm.engine.runner import EvalConfig, run_eval
from babelvlm.errors import ConfigError
from babelvlm.models.judge_repeats import RepeatTag, judge_options, load_repeat_judges
from babelvlm.models.mock import MockModel
from babelvlm.schema import TaskResult
from babelvlm.tasks.japanese import TASKS
from babelvlm.tasks.judge_protocol import JudgeSpec, combine_repeats


def _image() -> dict[str, Any]:
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), (0, 128, 0)).save(buf, format="PNG")
    return {"bytes": buf.getvalue(), "path": "x.png"}


@pytest.fixture()
def wild(tmp_path: Path) -> Path:
    rows = [{"image": _image(), "question": "車は何色ですか？", "answer": "白色"},
            {"image": _image(), "question": "空は何色ですか？", "answer": "青い"}]  # fmt: skip
    path = tmp_path / "wild.parquet"
    pq.write_table(pa.Table.from_pylist(rows), path)
    return path


@pytest.fixture(autouse=True)
def fresh_judges() -> None:
    for task in TASKS:
        task._judges.clear()  # type: ignore[attr-defined]


def _eval(out: Path, task: str, data: Path, **options: str) -> TaskResult:
    config = EvalConfig(model="mock:answer", tasks=[task], data=data, out=out, progress=False,
                        write_report=False, task_options=options)  # fmt: skip
    return run_eval(config).tasks[task]


# run 0 judges the two answers 5 and 3, run 1 gives 4 and 4, run 2 gives 1 and 2
SCRIPT = json.dumps(["Score: 5", "Score: 3", "Score: 4", "Score: 4", "Score: 1", "Score: 2"])


def test_three_runs_give_mean_and_sd_by_hand(tmp_path: Path, wild: Path) -> None:
    task = "ja_vlm_bench_in_the_wild"
    result = _eval(
        tmp_path / "run", task, wild, judge="mock:sequence", judge_repeats="3", **{"judge.replies": SCRIPT}
    )
    runs = [4.0, 4.0, 1.5]
    summary = result.extra["judge_repeats"]["metrics"]["judge_score"]
    assert summary["runs"] == runs
    assert summary["mean"] == pytest.approx(19 / 6) == result.scores["judge_score"]
    assert summary["sd"] == pytest.approx(statistics.stdev(runs)) == result.scores["judge_score_sd"]
    assert summary["sd"] == pytest.approx((25 / 12) ** 0.5)  # deviations 5/6, 5/6, -5/3 over n - 1 = 2
    assert result.scores["judge_score@0"] == 4.0 and result.scores["judge_score@2"] == 1.5
    assert result.extra["judge"]["repeats"] == 3 and result.extra["judge"]["seed"] == 0
    assert result.extra["judge"]["temperature"] == 0.0
    # resumed with a judge that now fails every call: nothing is re-judged, the numbers stay
    with sqlite3.connect(tmp_path / "run" / "store.sqlite") as db:
        before = db.execute("SELECT key, attempts FROM requests ORDER BY key").fetchall()
    assert len(before) == 2 + 6  # 2 answers + 2 judgements x 3 runs, each its own key
    resumed = _eval(tmp_path / "run", task, wild, judge="mock:sequence", judge_repeats="3",
                    **{"judge.replies": SCRIPT, "judge.fail_rate": "1"})  # fmt: skip
    assert resumed.scores == result.scores
    with sqlite3.connect(tmp_path / "run" / "store.sqlite") as db:
        assert db.execute("SELECT key, attempts FROM requests ORDER BY key").fetchall() == before


def test_heron_relative_per_run(tmp_path: Path) -> None:
    rows = [{"question_id": i, "image": _image(), "category": c, "text": f"質問{i}", "context": "説明",
             "answer": f"参照回答{i}"} for i, c in enumerate(["conv", "detail", "complex"])]  # fmt: skip
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "heron.parquet")
    script = json.dumps(["8 6"] * 3 + ["8 8"] * 3)  # run 0: 75 % everywhere, run 1: 100 %
    result = _eval(tmp_path / "h", "heron_bench", tmp_path / "heron.parquet", judge="mock:sequence",
                   judge_repeats="2", **{"judge.replies": script})  # fmt: skip
    summary = result.extra["judge_repeats"]["metrics"]["heron_relative"]
    assert summary["runs"] == [pytest.approx(75.0), pytest.approx(100.0)]
    assert result.scores["heron_relative"] == pytest.approx(87.5)
    assert result.scores["heron_relative_sd"] == pytest.approx(statistics.stdev([75.0, 100.0]))


def test_single_run_reports_no_sd(tmp_path: Path, wild: Path) -> None:
    result = _eval(tmp_path / "one", "ja_vlm_bench_in_the_wild", wild, judge="mock:sequence",
                   **{"judge.replies": json.dumps(["Score: 2"])})  # fmt: skip
    assert result.scores["judge_score"] == 2.0 and "judge_score_sd" not in result.scores
    assert "judge_repeats" not in result.extra and "judge_score@0" not in result.scores


def test_spec_options_and_seed() -> None:
    spec = JudgeSpec.parse(
        {"judge": "openai:http://h/v1#gpt", "judge_repeats": "5", "judge.max_retries": "2"}
    )
    assert spec == JudgeSpec("openai:http://h/v1#gpt", (("max_retries", "2"),), 5, 0)
    assert JudgeSpec.from_meta(spec.meta()) == spec
    assert judge_options(spec.model, dict(spec.options), spec.seed) == {"seed": "0", "max_retries": "2"}
    assert judge_options("mock:constant", {}, 0) == {}  # greedy backends take no seed
    assert JudgeSpec.parse({}) is None
    with pytest.raises(ConfigError, match="judge_repeats=0"):
        JudgeSpec.parse({"judge": "mock:echo", "judge_repeats": "0"})
    with pytest.raises(ConfigError, match="not a whole number"):
        JudgeSpec.parse({"judge": "mock:echo", "judge_seed": "x"})


def test_repeats_share_one_model_under_distinct_fingerprints() -> None:
    judges = load_repeat_judges("mock:constant", {"text": "Score: 3"}, 3)
    prints = [j.model.fingerprint for j in judges]
    assert prints[0] == "mock:constant:Score: 3" and len(set(prints)) == 3
    tag = RepeatTag(MockModel("constant", text="x"), 2)
    assert tag.fingerprint.endswith("#judge-repeat-2")


def test_combine_repeats_means_defined_values() -> None:
    assert combine_repeats([{"judge_score": 4.0}]) == {"judge_score": 4.0}
    combined = combine_repeats([{"judge_score": 4.0}, {"judge_score": None}, {"judge_score": 2.0}])
    assert combined["judge_score"] == 3.0 and combined["judge_score@1"] is None
    assert combine_repeats([{"s": None}, {"s": None}])["s"] is None


def test_first_judge_by_name_reuses_the_loaded_spec(tmp_path: Path, wild: Path) -> None:
    task = next(t for t in TASKS if t.name == "ja_vlm_bench_in_the_wild")
    _eval(
        tmp_path / "r", task.name, wild, judge="mock:sequence", judge_repeats="2", **{"judge.replies": SCRIPT}
    )
    judge = task._judge("mock:sequence")  # type: ignore[attr-defined]
    assert judge is task._judges.judges(JudgeSpec("mock:sequence", (("replies", SCRIPT),), 2))[0]  # type: ignore[attr-defined]
