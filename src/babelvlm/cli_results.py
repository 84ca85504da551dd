"""How ``eval``, ``score`` and ``demo`` end: the results table (with skipped rows), the most common
failure reasons with counts, where the files are, and exit status 1 when no sample could be scored."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from babelvlm.engine.failures import merge_reasons
from babelvlm.schema import RunResult, TaskResult

EXIT_CODES = (
    "Exit status: 0 = finished (failed samples are counted, not fatal); "
    "1 = finished but every sample failed (nothing was scored); "
    "2 = a setting, input or server the user must fix (nothing was lost; re-running resumes); "
    "130 = interrupted (Ctrl-C; re-running resumes)."
)
SHOWN_REASONS = 5


def scores_table(tasks: Mapping[str, TaskResult]) -> Table:
    """task, metric, score, samples, failed (and skipped rows, when any were skipped)."""
    skipped = any(res.n_skipped_rows for res in tasks.values())
    table = Table("task", "metric", "score", "samples", "failed")
    if skipped:
        table.add_column("skipped rows")
    for name, res in tasks.items():
        metric = res.primary_metric or next(iter(res.scores), "")
        value = res.scores.get(metric)
        row = [name, metric, "-" if value is None else f"{value:.4g}", str(res.n_samples), str(res.n_failed)]
        table.add_row(*row, *([str(res.n_skipped_rows)] if skipped else []))
    return table


def failure_lines(tasks: Mapping[str, TaskResult]) -> list[str]:
    """The most common failure reasons over all tasks, one line each with its count."""
    reasons = merge_reasons(res.failure_reasons for res in tasks.values())
    if not reasons:
        return []
    failed = sum(res.n_failed for res in tasks.values())
    lines = [f"failed samples by reason ({failed} in all):"]
    lines += [f"  {n:>6} × {reason}" for reason, n in list(reasons.items())[:SHOWN_REASONS]]
    if len(reasons) > SHOWN_REASONS:
        lines.append(f"  ... and {len(reasons) - SHOWN_REASONS} more reasons (see samples.jsonl)")
    return lines


def coverage_lines(tasks: Mapping[str, TaskResult]) -> list[str]:
    """For scored prediction files: how many samples had no prediction, and the options that match."""
    lines = []
    for name, res in tasks.items():
        cov = res.extra.get("predictions")
        if isinstance(cov, dict) and cov.get("samples_without_prediction"):
            line = (
                f"{name}: {cov['samples_without_prediction']} of {res.n_samples} samples had no prediction "
                f"(counted as failed; {cov.get('matched', 0)} of {cov.get('given', 0)} predictions matched)"
            )
            if cov.get("fix"):
                line += f"; to score only what was predicted: {cov['fix']}"
            lines.append(line)
    return lines


def finish_run(result: RunResult, out: Path, console: Console | None = None) -> None:
    """Print the results table, failure reasons and file paths; exit 1 when every sample failed."""
    console = console or Console()
    console.print(scores_table(result.tasks))
    for line in failure_lines(result.tasks) + coverage_lines(result.tasks):
        console.print(escape(line), soft_wrap=True, highlight=False)
    console.print(f"results: {out / 'results.json'}", soft_wrap=True)  # paths stay copyable
    if (out / "report.html").is_file():
        console.print(f"report:  {out / 'report.html'}", soft_wrap=True)
    n_samples = sum(res.n_samples for res in result.tasks.values())
    if n_samples and sum(res.n_failed for res in result.tasks.values()) == n_samples:
        Console(stderr=True).print(
            f"[bold red]error:[/] every one of the {n_samples} samples failed, so nothing was scored "
            "(the reasons are listed above; fix them and re-run: only the failed requests are sent again)",
            soft_wrap=True,
        )
        raise typer.Exit(1)
