"""The ``babelvlm`` command line: eval, score, report, tasks, models and clean user errors."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from babelvlm.cli import app
from babelvlm.tasks.registry import all_tasks

runner = CliRunner()


def _eval(data: Path, out: Path, *extra: str) -> list[str]:
    return [
        "eval",
        "--model",
        "mock:answer",
        "--tasks",
        "jsonl",
        "--data",
        str(data),
        "--out",
        str(out),
        "--no-progress",
        *extra,
    ]


def test_eval_writes_the_run_and_resumes(jsonl_task: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    result = runner.invoke(app, _eval(jsonl_task, out, "-M", "batch_size=4", "--limit", "6"))
    assert result.exit_code == 0, result.output
    assert "jsonl" in result.output and "exact_match" not in result.output.split("results:")[1]
    saved = json.loads((out / "results.json").read_text())
    assert saved["model"] == "mock:answer" and saved["tasks"]["jsonl"]["n_samples"] == 6
    assert saved["config"]["model_options"] == {"batch_size": "4"} and saved["config"]["limit"] == 6
    assert (out / "samples.jsonl").is_file() and (out / "store.sqlite").is_file()
    again = runner.invoke(app, _eval(jsonl_task, out, "-M", "batch_size=4", "--limit", "6"))
    assert again.exit_code == 0 and json.loads((out / "results.json").read_text())["tasks"] == saved["tasks"]


def test_user_errors_exit_2_with_one_line(jsonl_task: Path, tmp_path: Path) -> None:
    cases = [
        (["--langs", "en,xx"], "unknown language code 'xx'"),
        (["-M", "nonsense"], "is not key=value"),
        (["--executor", "slurm"], "unknown executor 'slurm'"),
    ]
    for extra, needle in cases:
        result = runner.invoke(app, _eval(jsonl_task, tmp_path / "run", *extra))
        assert result.exit_code == 2, (extra, result.output)
        assert needle in result.output and "Traceback" not in result.output
    bad_model = runner.invoke(
        app, ["eval", "--model", "gpt4:x", "--tasks", "jsonl", "--data", str(jsonl_task)]
    )
    assert bad_model.exit_code == 2 and "unknown model provider 'gpt4'" in bad_model.output


def test_real_process_prints_one_red_line(tmp_path: Path) -> None:
    code = "import sys; from babelvlm.cli import main; sys.argv[0] = 'babelvlm'; main()"
    missing = tmp_path / "missing.jsonl"
    args = [
        "eval",
        "--model",
        "mock:echo",
        "--tasks",
        "jsonl",
        "--data",
        str(missing),
        "--out",
        str(tmp_path),
    ]
    proc = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "missing.jsonl: file not found" in proc.stderr and "Traceback" not in proc.stderr


def test_score_predictions(jsonl_task: Path, tmp_path: Path) -> None:
    preds = tmp_path / "preds.jsonl"
    rows = [{"id": f"q{i}", "prediction": str(i) if i % 2 == 0 else "wrong"} for i in range(11)]
    preds.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "scored"
    result = runner.invoke(
        app,
        [
            "score",
            "--task",
            "jsonl",
            "--predictions",
            str(preds),
            "--data",
            str(jsonl_task),
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    res = json.loads((out / "results.json").read_text())["tasks"]["jsonl"]
    assert res["n_samples"] == 12 and res["n_failed"] == 1  # q11 has no prediction
    assert res["scores"]["exact_match"] == 6 / 11
    lines = [json.loads(x) for x in (out / "samples.jsonl").read_text().splitlines()]
    assert lines[11]["error"] == "no prediction for this sample"


def test_score_rejects_unknown_ids(jsonl_task: Path, tmp_path: Path) -> None:
    preds = tmp_path / "preds.jsonl"
    preds.write_text('{"id": "zzz", "prediction": "1"}\n')
    result = runner.invoke(
        app, ["score", "--task", "jsonl", "--predictions", str(preds), "--data", str(jsonl_task)]
    )
    assert result.exit_code == 2 and "match no sample of the task" in result.output


def test_tasks_and_models_tables() -> None:
    tasks = runner.invoke(app, ["tasks"], env={"COLUMNS": "250"})
    assert tasks.exit_code == 0 and "jsonl" in tasks.output and "vqa_accuracy" in tasks.output
    for name, task in all_tasks().items():  # every task, on its own row, with its languages and formats
        rows = [line for line in tasks.output.splitlines() if re.match(rf"│ {re.escape(name)} +│", line)]
        assert len(rows) == 1, name
        assert ",".join(task.info.languages) in rows[0] and task.info.formats[0].split()[0] in rows[0], name
    models = runner.invoke(app, ["models"], env={"COLUMNS": "250"})
    assert models.exit_code == 0 and "mock" in models.output and "openai" in models.output


def test_report_needs_a_run_dir(tmp_path: Path) -> None:
    result = runner.invoke(app, ["report", str(tmp_path)])
    assert result.exit_code == 2 and "has no results.json" in result.output


def test_analyze_is_mounted() -> None:
    result = runner.invoke(app, ["analyze", "--help"])
    assert result.exit_code == 0
