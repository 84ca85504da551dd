"""The paper-protocol parts of a task's report section, read from ``TaskResult.extra``:

- ``breakdowns``: one table per breakdown and metric (MMBench / MMMB category and l2-category x language,
  XPaperQA question type x paper / question language), with the number of samples in each cell;
- ``yes_no_pairs``: MMMB's pair accuracy counts and the unpaired rows, said in words;
- ``patterns``: MultiExpArt's mean per pattern (en-en, en-L, L-en, L-L) as grouped bars, one bar per
  metric (as in the MultiExpArt paper's Figures 3 and 6);
- ``judge_repeats``: each judge metric's value per judge run, their mean and standard deviation;
- ``skipped_metrics``: metrics that were asked for or belong to the task but could not be computed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np

from babelvlm.report import figures
from babelvlm.report.page import esc, figure, fmt, slug, table
from babelvlm.schema import TaskResult

PATTERN_ORDER = ("en-en", "en-L", "L-en", "L-L")
PATTERN_BAR_METRICS = ("entity_coverage_exact", "entity_coverage_partial", "entity_f1", "bleu", "rouge_l")
"""Metrics on the 0-100 scale drawn per pattern (others stay in the table below the chart)."""


def _breakdown_tables(name: str, breakdowns: Mapping[str, Any]) -> list[str]:
    """One table per breakdown and metric: rows x columns, each cell ``mean (n=k)``."""
    out: list[str] = []
    for title, spec in breakdowns.items():
        cells: Mapping[str, Mapping[str, Mapping[str, float]]] = spec.get("table", {})
        cols = sorted({c for row in cells.values() for c in row})
        header = f"{spec.get('rows', title)} \\ {spec.get('cols', '')}"
        for metric in spec.get("metrics", []):
            rows = [[row, *[_cell(cells[row].get(c), metric) for c in cols]] for row in sorted(cells)]
            out.append(f'<h3 id="breakdown-{slug(name)}-{slug(title)}">{esc(metric)} by {esc(title)}</h3>')
            out.append(table([header, *cols], rows, left=len(cols) + 1))
        if spec.get("n_missing"):
            out.append(f'<p class="note">{spec["n_missing"]} sample(s) without a {esc(title)} label.</p>')
    return out


def _cell(cell: Mapping[str, float] | None, metric: str) -> str:
    if not cell:
        return "–"
    return f"{fmt(cell.get(metric))} (n={int(cell.get('n', 0))})"


def pattern_bars(patterns: Mapping[str, Mapping[str, float]], title: str) -> str | None:
    """Grouped bars: x = pattern in the paper's order, one bar per 0-100 metric present."""
    present = [p for p in PATTERN_ORDER if p in patterns]
    metrics = [m for m in PATTERN_BAR_METRICS if any(m in patterns[p] for p in present)]
    if not present or not metrics:
        return None
    width = 0.8 / len(metrics)
    fig, ax = plt.subplots(figsize=(1.4 * len(present) + 2.5, 3.2))
    for k, metric in enumerate(metrics):
        xs = np.arange(len(present)) + (k - (len(metrics) - 1) / 2) * width
        ys = [patterns[p].get(metric, np.nan) for p in present]
        ax.bar(xs, np.nan_to_num(np.asarray(ys, dtype=float)), width=width, label=metric)
    ax.set_xticks(range(len(present)), [f"{p} (n={int(patterns[p].get('n', 0))})" for p in present])
    ax.set_ylabel("score (0-100)")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=7, ncols=min(3, len(metrics)), loc="best")
    return figures.to_svg(fig)


def _pattern_part(name: str, patterns: Mapping[str, Mapping[str, float]]) -> list[str]:
    out = ["<h3>By pattern (instruction language → output language)</h3>"]
    svg = pattern_bars(patterns, f"{name}: metrics per pattern")
    if svg is not None:
        out.append(figure(f"fig-{slug(name)}-patterns", svg, "Mean per pattern; L = the other language."))
    metrics = sorted({m for values in patterns.values() for m in values if m != "n"})
    rows: Sequence[Sequence[object]] = [
        [p, patterns[p].get("n"), *[patterns[p].get(m) for m in metrics]]
        for p in PATTERN_ORDER
        if p in patterns
    ]
    out.append(table(["pattern", "n", *metrics], rows))
    return out


def _pairs_part(pairs: Mapping[str, Any]) -> list[str]:
    rows = [
        [lang, v.get("pair_accuracy"), v.get("n_pairs"), v.get("n_pairs_failed"), v.get("n_unpaired_rows")]
        for lang, v in sorted(pairs.get("by_language", {}).items())
    ]
    return [
        "<h3>Yes/No pairs (an image counts only if both of its questions are right)</h3>",
        table(["language", "pair_accuracy", "pairs", "pairs with a failure", "unpaired rows"], rows),
        f'<p class="note">{esc(pairs.get("note", ""))}</p>',
    ]


def _repeats_part(repeats: Mapping[str, Any]) -> list[str]:
    rows = [
        [metric, v.get("mean"), v.get("sd"), ", ".join(fmt(x) for x in v.get("runs", []))]
        for metric, v in sorted(repeats.get("metrics", {}).items())
    ]
    return [
        f"<h3>Judge runs ({esc(repeats.get('n'))}, temperature 0, same seed)</h3>",
        table(["metric", "mean", "sd (n-1)", "runs"], rows, left=1),
    ]


def protocol_section(name: str, result: TaskResult) -> str:
    """HTML for the per-category tables, pattern bars, Yes/No pairs and skipped metrics of one task."""
    extra = result.extra
    parts: list[str] = []
    if isinstance(extra.get("yes_no_pairs"), dict):
        parts.extend(_pairs_part(extra["yes_no_pairs"]))
    if isinstance(extra.get("patterns"), dict) and extra["patterns"]:
        parts.extend(_pattern_part(name, extra["patterns"]))
    if isinstance(extra.get("judge_repeats"), dict):
        parts.extend(_repeats_part(extra["judge_repeats"]))
    if isinstance(extra.get("breakdowns"), dict):
        parts.extend(_breakdown_tables(name, extra["breakdowns"]))
    for metric, why in sorted((extra.get("skipped_metrics") or {}).items()):
        parts.append(f'<p class="warn">{esc(metric)} skipped: {esc(why)}</p>')
    return "\n".join(parts)
