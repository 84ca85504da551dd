"""Per-category tables: a metric's mean over scored samples by one sample attribute (rows) x another
(columns), e.g. MMBench category x language (Parrot Figure 4) or XPaperQA question type x paper language
(XT-VQA Table 3). Stored in ``TaskResult.extra['breakdowns'][name]`` and drawn by the report.

Failed samples are excluded (they are counted in ``n_failed``); a sample without the row attribute is
counted in ``n_missing`` and left out of the table, never put in a made-up category.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

from babelvlm.schema import SampleScore, TaskResult

Key = Callable[[SampleScore], str | None]


def meta_key(name: str) -> Key:
    """A sample's ``meta[name]`` as a table label (None when missing or empty)."""

    def key(s: SampleScore) -> str | None:
        value = s.meta.get(name)
        return None if value is None or str(value).strip() == "" else str(value)

    return key


def attr_key(name: str) -> Key:
    """A SampleScore attribute (``lang``, ``image_lang``, ``output_lang``) as a table label."""

    def key(s: SampleScore) -> str | None:
        value = getattr(s, name, None)
        return None if value is None else str(value)

    return key


def breakdown(scored: Sequence[SampleScore], rows: Key, cols: Key, metrics: Sequence[str]) -> dict[str, Any]:
    """``{'table': row -> col -> {metric: mean, 'n': count}, 'n_missing': k}`` over answered samples;
    a metric undefined for every sample of a cell is left out of that cell."""
    cells: dict[tuple[str, str], list[SampleScore]] = defaultdict(list)
    missing = 0
    for s in scored:
        if s.failed:
            continue
        row, col = rows(s), cols(s)
        if row is None or col is None:
            missing += 1
            continue
        cells[(row, col)].append(s)
    table: dict[str, dict[str, dict[str, float]]] = {}
    for (row, col), members in sorted(cells.items()):
        cell: dict[str, float] = {"n": float(len(members))}
        for name in metrics:
            values = [float(v) for m in members if (v := m.scores.get(name)) is not None]
            if values:
                cell[name] = sum(values) / len(values)
        table.setdefault(row, {})[col] = cell
    return {"table": table, "n_missing": missing}


def add_breakdown(
    result: TaskResult,
    name: str,
    scored: Sequence[SampleScore],
    axes: tuple[tuple[str, Key], tuple[str, Key]],
    metrics: Sequence[str],
) -> TaskResult:
    """Store ``breakdown`` as ``extra['breakdowns'][name]`` with its axis names and metrics (only when
    at least one sample has both labels)."""
    (row_name, rows), (col_name, cols) = axes
    found = breakdown(scored, rows, cols, metrics)
    if found["table"]:
        result.extra.setdefault("breakdowns", {})[name] = {
            "rows": row_name,
            "cols": col_name,
            "metrics": list(metrics),
            **found,
        }
    return result


def add_circular_breakdown(result: TaskResult, name: str, scored: Sequence[SampleScore], rows: Key) -> None:
    """``circular_accuracy`` (``metrics.mcq.circular_accuracy``: a question counts only when every rotated
    copy is right; a question with a failed or missing copy is left out) by ``rows`` x language, stored
    like ``add_breakdown`` with ``n`` = the questions scored in the cell."""
    from babelvlm.metrics.mcq import circular_accuracy

    groups: dict[tuple[str, str], list[SampleScore]] = defaultdict(list)
    for s in scored:
        row = rows(s)
        if row is not None:
            groups[(row, s.lang)].append(s)
    table: dict[str, dict[str, dict[str, float]]] = {}
    for (row, lang), members in sorted(groups.items()):
        copies = {
            int(str(s.meta["index"])) % 10**6: int(s.meta["n_options"])
            for s in members
            if s.meta.get("n_options")
        }
        flags = (
            (str(s.meta.get("index")), None if s.failed else s.scores.get("accuracy") == 1.0) for s in members
        )
        score = circular_accuracy(flags, copies)
        if score.circular_accuracy is not None:
            table.setdefault(row, {})[lang] = {
                "n": float(score.n_questions),
                "circular_accuracy": score.circular_accuracy,
            }
    if table:
        result.extra.setdefault("breakdowns", {})[name] = {
            "rows": name.split(" ")[0],
            "cols": "language",
            "metrics": ["circular_accuracy"],
            "table": table,
            "n_missing": sum(rows(s) is None for s in scored),
        }
