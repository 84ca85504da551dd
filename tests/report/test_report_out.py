"""`babelvlm report DIR --out FILE` writes the run's report to FILE, leaving DIR/report.html alone."""

from __future__ import annotations

from pathlib import Path

from synthetic_run import write_synthetic_run
from typer.testing import CliRunner

from babelvlm.cli import app


def test_report_out_is_honoured_for_one_run(tmp_path: Path) -> None:
    run = write_synthetic_run(tmp_path / "run", n=40)
    target = tmp_path / "elsewhere" / "mine.html"
    result = CliRunner().invoke(app, ["report", str(run), "--out", str(target)])
    assert result.exit_code == 0, result.output
    assert target.is_file() and "<html" in target.read_text(encoding="utf-8")[:200].lower()
    assert not (run / "report.html").exists() and "mine.htm" in result.output.replace("\n", "")
    default = CliRunner().invoke(app, ["report", str(run)])
    assert default.exit_code == 0 and (run / "report.html").is_file()
