"""results.json + samples.jsonl (+ mi.json) -> one self-contained ``report.html`` (issues 5 and 6).

The page: run metadata, a headline table of every task, then per task its language matrix as a heatmap
with the gap to the same-language diagonal, per-language bars, fidelity, gap heatmaps with bootstrap CIs
and failure counts, and the visual mutual information section when ``mi.json`` exists. Figures are
inline SVG made with matplotlib (Agg); the page needs no network and no external file.
"""

from __future__ import annotations

from pathlib import Path

from babelvlm.atomic import write_text_atomic
from babelvlm.report.mi_section import mi_section
from babelvlm.report.page import esc, fmt, page, slug, table
from babelvlm.report.rundata import RunData, load_run
from babelvlm.report.samples_data import ThumbnailBudget
from babelvlm.report.samples_section import samples_section
from babelvlm.report.task_section import primary, task_section
from babelvlm.schema import TaskResult

DISPLAY_ONLY_CONFIG = ("progress", "write_report", "overwrite")
"""Settings of older results.json files that only changed how a run was shown."""
HEADLINE_NOTE = (
    '<p class="note">failed: requests or parses that failed (excluded from every mean; reasons under '
    "Failures). skipped rows: bad input rows left out under --skip-bad-rows. metric n/a: answered "
    "samples where the primary metric does not apply (excluded from its mean). fidelity: share of "
    "free-text answers in the requested language (not measured for short-answer tasks).</p>"
)


def _metadata(data: RunData) -> str:
    res = data.result
    rows: list[list[object]] = [
        ["model", res.model],
        ["created", res.created],
        ["BabelVLM version", res.babelvlm_version],
        ["results schema", res.schema_version],
        ["run directory", str(data.path)],
    ]
    shown = {k: v for k, v in res.config.items() if k not in DISPLAY_ONLY_CONFIG}
    rows.extend([f"config: {k}", str(v)] for k, v in sorted(shown.items()))
    return table(["field", "value"], rows, left=2)


def _headline(data: RunData) -> str:
    rows = []
    for name, res in data.result.tasks.items():
        metric = primary(res)
        rows.append(
            [
                (f'<a href="#task-{slug(name)}">{esc(name)}</a>', True),
                metric,
                res.scores.get(metric),
                res.n_samples,
                res.n_failed,
                res.n_skipped_rows,
                res.n_excluded.get(metric, 0),
                _fidelity_cell(res),
            ]
        )
    head = ["task", "primary metric", "score", "samples", "failed", "skipped rows", "metric n/a", "fidelity"]
    return table(head, rows, left=2) + HEADLINE_NOTE


def _fidelity_cell(res: TaskResult) -> object:
    """The overall language fidelity, or why there is none."""
    overall = res.fidelity.get("overall")
    return overall if overall is not None else "n/a (not a free-text task)"


def render_report(data: RunData) -> str:
    """The report's HTML text for a loaded run."""
    res = data.result
    nav = " ".join(f'<a href="#task-{slug(n)}">{esc(n)}</a>' for n in res.tasks)
    if data.mi is not None:
        nav += ' <a href="#mi">visual MI</a>'
    body = [
        f"<h1>BabelVLM report — {esc(res.model)}</h1>",
        f"<nav>{nav}</nav>",
        "<h2>Headline</h2>",
        _headline(data),
        f'<p class="note">Failed requests and parses are excluded from every mean and counted; '
        f"total failed: {fmt(sum(t.n_failed for t in res.tasks.values()))}.</p>",
    ]
    budget = ThumbnailBudget()
    for name, task in res.tasks.items():
        body.append(task_section(name, task, data.samples.get(name, [])))
        body.append(samples_section(data.path, res, name, data.samples.get(name, []), budget))
    if data.mi is not None:
        body.append(mi_section(data.mi))
    body.append("<h2>Run metadata</h2>" + _metadata(data))
    return page(f"BabelVLM report — {res.model}", "\n".join(body))


def write_report(run_dir: Path, out: Path | None = None) -> Path:
    """Read ``run_dir/results.json`` and ``samples.jsonl`` (and ``mi.json``) and write ``out`` (default
    ``run_dir/report.html``); returns its path. The file is written atomically."""
    run_dir = Path(run_dir)
    return write_text_atomic(out or run_dir / "report.html", render_report(load_run(run_dir)))
