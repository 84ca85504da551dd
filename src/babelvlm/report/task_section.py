"""One task's part of the run report: headline metrics, the language matrix with the gap to the
same-language diagonal, per-language bars, fidelity, gap heatmaps with bootstrap CIs and failures."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from babelvlm.analysis.gaps import gap_tables
from babelvlm.report import figures
from babelvlm.report.breakdowns import axis_section, breakdown_section, worst_section
from babelvlm.report.page import esc, figure, fmt, slug, table
from babelvlm.report.protocol_section import protocol_section
from babelvlm.report.rundata import AXIS_NAMES, failure_reasons
from babelvlm.schema import SampleScore, TaskResult

MATRIX_KEYS = ("matrix", "by_cell", "cells")


def axis_title(axis: str) -> str:
    """Readable name of a matrix axis."""
    return AXIS_NAMES.get(axis, axis)


def primary(result: TaskResult) -> str:
    """The task's headline metric (the declared one, else the first score)."""
    return result.primary_metric or next(iter(result.scores), "")


def metric_matrix(result: TaskResult, metric: str) -> dict[str, dict[str, float | None]]:
    """Row -> column -> value of ``metric`` from the results' matrix."""
    return {r: {c: cell.get(metric) for c, cell in cols.items()} for r, cols in result.matrix.items()}


def diagonal_notes(matrix: Mapping[str, Mapping[str, float | None]]) -> dict[str, dict[str, str]]:
    """Gap of each off-diagonal cell to the same-language diagonal cell of its column: ``Δ`` = cell - diag."""
    notes: dict[str, dict[str, str]] = {}
    for r, cols in matrix.items():
        for c, v in cols.items():
            ref = matrix.get(c, {}).get(c)
            if r != c and v is not None and ref is not None:
                notes.setdefault(r, {})[c] = f"Δ {v - ref:+.2f}"
    return notes


def fidelity_matrix(fidelity: Mapping[str, Any]) -> dict[str, dict[str, float | None]] | None:
    """The per-cell fidelity shares when the results hold them (row -> column -> share)."""
    for key in MATRIX_KEYS:
        cells = fidelity.get(key)
        if isinstance(cells, dict) and cells and all(isinstance(v, dict) for v in cells.values()):
            out: dict[str, dict[str, float | None]] = {}
            for r, cols in cells.items():
                for c, v in cols.items():
                    share = v.get("share", v.get("fidelity")) if isinstance(v, dict) else v
                    out.setdefault(r, {})[c] = None if share is None else float(share)
            return out
    return None


def task_gaps(result: TaskResult, samples: list[SampleScore], metric: str) -> dict[str, Any] | None:
    """The gap tables the engine stored, else computed here from the scored samples (seed 0)."""
    stored = result.extra.get("gaps")
    if isinstance(stored, dict) and "cells" in stored:
        return stored
    if isinstance(stored, dict) and isinstance(stored.get(metric), dict):
        return dict(stored[metric])
    axes = tuple(result.matrix_axes)
    if samples and len(axes) == 2 and all(a in ("lang", "output_lang", "image_lang") for a in axes):
        return gap_tables(samples, (axes[0], axes[1]), metric, seed=0)
    return None


def _gap_figure(name: str, gaps: dict[str, Any], rows: str, cols: str) -> str:
    """Heatmap of absolute drops with their CIs; non-significant gaps are marked ``n.s.``."""
    values: dict[str, dict[str, float | None]] = {}
    notes: dict[str, dict[str, str]] = {}
    for r, row in gaps.get("gaps", {}).items():
        for c, g in row.items():
            values.setdefault(r, {})[c] = g.get("abs")
            ci = g.get("abs_ci")
            note = f"[{ci[0]:+.2f}, {ci[1]:+.2f}]" if ci else ""
            notes.setdefault(r, {})[c] = note + ("" if g.get("significant") else "\nn.s.")
    if not values:
        return ""
    conf = round(100 * float(gaps.get("confidence", 0.95)))
    svg = figures.heatmap(
        values,
        f"{name}: drop to the reference cell ({gaps.get('metric')}), {conf}% CI",
        rows,
        cols,
        notes=notes,
        diverging=True,
        value_format="{:+.2f}",
    )
    caption = (
        f"Absolute drop (reference - cell) with seeded bootstrap {conf}% intervals "
        f"(B={gaps.get('n_boot')}, seed={gaps.get('seed')}), paired over the items both cells share "
        "(see the table's bootstrap column); n.s. = the interval contains 0."
    )
    return figure(f"fig-{slug(name)}-gaps", svg, caption)


def _gap_table(gaps: dict[str, Any], rows: str, cols: str) -> str:
    """Every gap against each reference (same-language diagonal and en-en), with n per cell and the
    bootstrap used ("paired (n items)" over shared items, else "independent")."""
    by_reference = gaps.get("gaps_by_reference") or {"": gaps.get("gaps", {})}
    lines = []
    for kind in sorted(by_reference):
        for r, row in sorted(by_reference[kind].items()):
            for c, g in sorted(row.items()):
                if kind == "en-en" and c == "en":
                    continue  # the en column's diagonal is en-en: listed once
                ci, rel_ci = g.get("abs_ci"), g.get("rel_ci")
                n = f"{g['n']} / {g['n_reference']}" if "n" in g else "–"
                lines.append(
                    [
                        figures.lang_label(r),
                        figures.lang_label(c),
                        "-".join(g.get("reference", [])),
                        n,
                        g.get("abs"),
                        f"[{ci[0]:.3f}, {ci[1]:.3f}]" if ci else "–",
                        g.get("rel"),
                        f"[{rel_ci[0]:.3f}, {rel_ci[1]:.3f}]" if rel_ci else "–",
                        "yes" if g.get("significant") else "no",
                        g.get("method", "independent"),
                    ]
                )
    head = [rows, cols, "reference", "n (cell / ref)", "abs drop", "CI", "rel drop", "rel CI", "significant"]
    return table([*head, "bootstrap"], lines, left=4) if lines else ""


def _failures(result: TaskResult, samples: list[SampleScore]) -> str:
    reasons = failure_reasons(samples)
    text = f"<p>Failed (excluded from every mean): <b>{result.n_failed}</b> of {result.n_samples} samples."
    if result.n_skipped_rows:
        skipped = result.n_skipped_rows
        text += f" Input rows skipped as bad (--skip-bad-rows, not among the samples): <b>{skipped}</b>."
    if result.n_excluded:
        undefined = ", ".join(f"{esc(k)}: {v}" for k, v in sorted(result.n_excluded.items()))
        text += (
            " Answered samples where a metric does not apply (e.g. numeric_match on a non-numeric "
            f"answer; excluded from that metric's mean): {undefined}."
        )
    text += "</p>"
    if reasons:
        text += table(["failure", "count"], list(reasons.items()))
    return text


def _figures(name: str, result: TaskResult, metric: str, rows: str, cols: str) -> list[str]:
    """Matrix heatmap, per-language bars and fidelity heatmap of one task."""
    out: list[str] = []
    matrix = metric_matrix(result, metric)
    if any(v is not None for r in matrix.values() for v in r.values()):
        svg = figures.heatmap(matrix, f"{name}: {metric}", rows, cols, notes=diagonal_notes(matrix))
        out.append(
            figure(
                f"fig-{slug(name)}-matrix",
                svg,
                f"{metric} per cell; Δ = cell minus the same-language diagonal cell of its column.",
            )
        )
    by_lang = {lang: vals.get(metric) for lang, vals in result.by_language.items()}
    if any(v is not None for v in by_lang.values()):
        svg = figures.bars({metric: by_lang}, f"{name}: {metric} by question language", metric)
        out.append(figure(f"fig-{slug(name)}-bars", svg, f"{metric} per question / instruction language."))
    fid = fidelity_matrix(result.fidelity)
    if fid:
        svg = figures.heatmap(fid, f"{name}: language fidelity", rows, cols)
        out.append(
            figure(
                f"fig-{slug(name)}-fidelity",
                svg,
                "Share of outputs identified as the requested output language (language fidelity).",
            )
        )
    return out


def task_section(name: str, result: TaskResult, samples: list[SampleScore]) -> str:
    """The HTML section of one task."""
    metric = primary(result)
    axes = list(result.matrix_axes) or ["lang", "image_lang"]
    rows, cols = axis_title(axes[0]), axis_title(axes[1] if len(axes) > 1 else "")
    parts = [f'<section class="task" id="task-{slug(name)}"><h2>{esc(name)}</h2>']
    parts.append(table(["metric", "value"], sorted(result.scores.items())))
    parts.append(protocol_section(name, result))  # pairs, judge runs, per-category tables, skipped metrics
    lang_metrics = sorted({m for vals in result.by_language.values() for m in vals})
    if lang_metrics:
        lang_rows = [
            [figures.lang_label(lang)] + [vals.get(m) for m in lang_metrics]
            for lang, vals in sorted(result.by_language.items())
        ]
        parts.append(table(["language", *lang_metrics], lang_rows))
    parts.extend(_figures(name, result, metric, rows, cols))
    if metric:
        parts.append(axis_section(name, result, samples, metric))
    if result.fidelity.get("overall") is not None:
        parts.append(f'<p class="note">Language fidelity overall: {fmt(result.fidelity["overall"])}</p>')
    gaps = task_gaps(result, samples, metric) if metric else None
    if gaps and gaps.get("gaps"):
        parts.append("<h3>Gaps with confidence intervals</h3>")
        parts.append(_gap_figure(name, gaps, rows, cols))
        parts.append(_gap_table(gaps, rows, cols))
    if metric:
        parts.append(breakdown_section(name, result, metric))
        parts.append(worst_section(name, samples, metric))
    parts.append("<h3>Failures</h3>" + _failures(result, samples))
    parts.append("</section>")
    return "\n".join(parts)
