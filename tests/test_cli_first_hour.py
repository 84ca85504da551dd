"""A newcomer's first hour through the real ``babelvlm`` entry point: runs fail fast and say why, setup
errors create nothing, unknown names get suggestions, the books are honest (failures by reason, skipped
rows, samples without a prediction, another model in --out) and the terminal output is complete."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from babelvlm.cli import app
from babelvlm.tasks.registry import all_tasks
from conftest import write_jsonl_task

runner = CliRunner()
ENTRY = "import sys; from babelvlm.cli import main; sys.argv[0] = 'babelvlm'; main()"
ROOT = Path(__file__).resolve().parents[1]


def _babelvlm(*args: str, timeout: float = 60) -> tuple[subprocess.CompletedProcess[str], float]:
    """Run the real console entry point in a fresh process; returns the result and its wall time."""
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", ENTRY, *args], capture_output=True, text=True, timeout=timeout, check=False
    )
    return proc, time.perf_counter() - start


def _closed_port() -> int:
    """A local TCP port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _eval(data: Path, out: Path, *extra: str, model: str = "mock:answer") -> list[str]:
    return ["eval", "--model", model, "--tasks", "jsonl", "--data", str(data), "--out", str(out), *extra]


def test_unreachable_server_stops_fast_with_the_url(tmp_path: Path) -> None:
    data = write_jsonl_task(tmp_path / "task", n=40)
    url = f"http://127.0.0.1:{_closed_port()}/v1"
    proc, seconds = _babelvlm(*_eval(data, tmp_path / "run", model=f"openai:{url}#qwen"), "--no-progress")
    assert seconds < 30 and proc.returncode == 2, proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and f"cannot reach {url}/chat/completions: ConnectError" in errors[0]
    assert "Traceback" not in proc.stderr


def test_failure_reasons_are_printed_and_all_failed_exits_1(jsonl_task: Path, tmp_path: Path) -> None:
    all_failed = runner.invoke(app, _eval(jsonl_task, tmp_path / "a", "-M", "fail_rate=1", "--no-progress"))
    assert all_failed.exit_code == 1, all_failed.output
    assert "failed samples by reason (12 in all):" in all_failed.output
    assert re.search(r"12 × mock: injected failure \(attempt 1\)", all_failed.output)
    assert "every one of the 12 samples failed" in all_failed.output
    saved = json.loads((tmp_path / "a" / "results.json").read_text())["tasks"]["jsonl"]
    assert saved["failure_reasons"] == {"mock: injected failure (attempt 1)": 12}
    some_failed = runner.invoke(
        app, _eval(jsonl_task, tmp_path / "b", "-M", "fail_rate=0.5", "--no-progress")
    )
    assert some_failed.exit_code == 0 and "× mock: injected failure" in some_failed.output
    assert f"report:  {tmp_path / 'b' / 'report.html'}" in some_failed.output


def test_exit_codes_are_in_help() -> None:
    for args in (["--help"], ["eval", "--help"], ["score", "--help"]):
        text = " ".join(runner.invoke(app, args, env={"COLUMNS": "200"}).output.split())
        assert "Exit status: 0 = finished" in text and "1 = finished but every sample failed" in text, args
        assert "2 = a setting, input or server" in text and "130 = interrupted" in text, args
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "Exit status of `eval`, `score` and `demo`" in readme and "**130**" in readme


def test_setup_errors_create_nothing_and_are_not_interrupts(tmp_path: Path) -> None:
    out = tmp_path / "run"
    missing, _ = _babelvlm(*_eval(tmp_path / "missing.jsonl", out))
    assert missing.returncode == 2 and "missing.jsonl: file not found" in missing.stderr
    language, _ = _babelvlm("eval", "--model", "mock:echo", "--tasks", "babeltext", "--langs", "en,ko",
                            "--out", str(out))  # fmt: skip
    assert language.returncode == 2 and "unknown BabelText question language 'ko'" in language.stderr
    for proc in (missing, language):
        assert "interrupted" not in proc.stdout + proc.stderr and "samples" not in proc.stderr
    assert not out.exists()


def test_unknown_names_get_a_suggestion(jsonl_task: Path, tmp_path: Path) -> None:
    task = runner.invoke(app, ["eval", "--model", "mock:echo", "--tasks", "babeltxt", "--out", str(tmp_path)])
    assert task.exit_code == 2 and "unknown task 'babeltxt': did you mean babeltext?" in task.output
    lang = runner.invoke(app, _eval(jsonl_task, tmp_path / "run", "--langs", "en,jp"))
    assert lang.exit_code == 2 and "jp is not an ISO 639-1 code; did you mean ja?" in lang.output
    assert not (tmp_path / "run").exists()


def test_out_with_another_model_is_refused_unless_overwrite(jsonl_task: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    assert runner.invoke(app, _eval(jsonl_task, out, "--no-progress")).exit_code == 0
    first = (out / "results.json").read_text()
    other = runner.invoke(app, _eval(jsonl_task, out, "--no-progress", model="mock:echo"))
    assert (
        other.exit_code == 2 and "already holds a run of mock:answer, not of this mock:echo" in other.output
    )
    assert "--overwrite" in other.output and (out / "results.json").read_text() == first
    same = runner.invoke(app, _eval(jsonl_task, out, "--no-progress", "-M", "delay=0"))
    assert same.exit_code == 0  # a speed-only option is the same model: the run resumes
    replaced = runner.invoke(app, _eval(jsonl_task, out, "--no-progress", "--overwrite", model="mock:echo"))
    assert replaced.exit_code == 0 and json.loads((out / "results.json").read_text())["model"] == "mock:echo"


def test_skipped_rows_are_counted_everywhere(jsonl_task: Path, tmp_path: Path) -> None:
    rows = jsonl_task.read_text().splitlines()
    rows[3:3] = ["not json", '{"id": "no-question"}']
    jsonl_task.write_text("\n".join(rows) + "\n")
    out = tmp_path / "run"
    result = runner.invoke(
        app, _eval(jsonl_task, out, "--skip-bad-rows", "--no-progress"), env={"COLUMNS": "200"}
    )
    assert result.exit_code == 0, result.output
    header = next(line for line in result.output.splitlines() if "task" in line and "metric" in line)
    assert "skipped rows" in header
    row = next(line for line in result.output.splitlines() if line.startswith("│ jsonl"))
    assert row.rstrip("│ ").split("│")[-1].strip() == "2"
    saved = json.loads((out / "results.json").read_text())["tasks"]["jsonl"]
    assert saved["n_skipped_rows"] == 2 and saved["n_samples"] == 12
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "skipped rows" in page and "Input rows skipped as bad (--skip-bad-rows" in page


def test_score_says_which_samples_had_no_prediction(jsonl_task: Path, tmp_path: Path) -> None:
    english = [json.loads(line) for line in jsonl_task.read_text().splitlines()]
    preds = tmp_path / "preds.jsonl"
    preds.write_text("".join(json.dumps({"id": r["id"], "prediction": "1"}) + "\n" for r in english
                             if r["lang"] == "en"))  # fmt: skip
    out = tmp_path / "scored"
    args = [
        "score",
        "--task",
        "jsonl",
        "--predictions",
        str(preds),
        "--data",
        str(jsonl_task),
        "--out",
        str(out),
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "jsonl: 8 of 12 samples had no prediction (counted as failed; 4 of 4 predictions matched)" in text
    assert (
        "to score only what was predicted: --langs en" in text and "8 × no prediction for this sample" in text
    )
    cov = json.loads((out / "results.json").read_text())["tasks"]["jsonl"]["extra"]["predictions"]
    assert cov == {"given": 4, "matched": 4, "samples_without_prediction": 8, "fix": "--langs en"}
    narrowed = runner.invoke(app, [*args, "--langs", "en"])
    assert narrowed.exit_code == 0 and "had no prediction" not in narrowed.output


def test_tasks_never_truncates_names_or_cites_file_numbers() -> None:
    result = runner.invoke(app, ["tasks"], env={"COLUMNS": "60"})
    assert result.exit_code == 0
    names = {line.split("│")[1].strip() for line in result.output.splitlines() if line.startswith("│")}
    assert set(all_tasks()) <= names
    wide = runner.invoke(app, ["tasks"], env={"COLUMNS": "250"}).output
    assert (
        not re.search(r"seed 00\d|SPEC \d", wide) and "Parrot: Multilingual Visual Instruction Tuning" in wide
    )
    assert not re.search(r"seed 00\d|SPEC \d", (ROOT / "README.md").read_text(encoding="utf-8"))


def test_progress_lines_when_not_a_terminal(tmp_path: Path) -> None:
    data = write_jsonl_task(tmp_path / "task", n=9)
    proc, _ = _babelvlm(*_eval(data, tmp_path / "run"))
    assert proc.returncode == 0, proc.stderr
    lines = proc.stderr.splitlines()
    assert lines[0] == "eval: 9 samples planned" and lines[-1].startswith("finished: 9 samples")
    assert "\x1b[" not in proc.stderr  # no live bar, no escape codes in a log


def test_readme_and_demo_say_how_to_run_babelvlm(tmp_path: Path) -> None:
    from babelvlm.demo import next_steps

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "`.venv/bin/babelvlm`" in readme and "source .venv/bin/activate" in readme
    steps = next_steps(tmp_path / "demo")
    assert str(tmp_path / "demo" / "report.html") in steps and "babelvlm analyze mi --model demo" in steps
    assert ".venv/bin/babelvlm" in steps
    recipe = (ROOT / "Makefile").read_text(encoding="utf-8").split("$(VENV)/.installed-demo:")[1]
    announce, build = recipe.index("@echo"), recipe.index("-e '.[demo]'")
    assert announce < build and "llama-cpp-python builds from source" in recipe[announce:build]


def test_ray_cluster_unreachable_is_one_line_with_the_fix(jsonl_task: Path, tmp_path: Path) -> None:
    pytest.importorskip("ray")
    address = f"127.0.0.1:{_closed_port()}"
    out = tmp_path / "run"
    proc, seconds = _babelvlm(*_eval(jsonl_task, out, "--executor", "ray", "--ray-address", address))
    assert proc.returncode == 2 and seconds < 30
    errors = [line for line in proc.stderr.splitlines() if line.strip()]
    assert errors[-1].startswith(f"error: cannot reach the Ray cluster at {address}: ConnectionRefusedError")
    assert "fix: check --ray-address" in errors[-1] and "Traceback" not in proc.stderr


@pytest.mark.slow
def test_a_ray_run_is_quiet_unless_verbose(jsonl_task: Path, tmp_path: Path) -> None:
    pytest.importorskip("ray")
    proc, _ = _babelvlm(
        *_eval(jsonl_task, tmp_path / "run", "--executor", "ray", "--no-progress"), timeout=300
    )
    assert proc.returncode == 0, proc.stderr
    for noise in ("Token authentication", "core_worker", "INFO", "WARNING", "logging.cc"):
        assert noise not in proc.stderr, proc.stderr


def test_ctrl_c_is_an_interrupt_with_status_130(tmp_path: Path) -> None:
    import signal

    data = write_jsonl_task(tmp_path / "task", n=60)
    out = tmp_path / "run"
    proc = subprocess.Popen(
        [sys.executable, "-c", ENTRY, *_eval(data, out, "-M", "delay=0.05")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not (out / "store.sqlite").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert "interrupted: " in stderr and "re-run the same command to resume" in stderr
    assert "Traceback" not in stderr and "stopped by an error" not in stderr
