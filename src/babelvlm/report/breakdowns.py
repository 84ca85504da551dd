"""The parts of a task's report that answer "what is it bad at, and why?": the score by each matrix axis
(question language and image-text or output language, with n), every breakdown the task produced
(``extra['by_*']``: scene kind, answer type, difficulty, category, ...), and the worst examples with the
evidence behind each answer (the backend's OCR text, the extracted answer, the judge's rationale)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping
from typing import Any

from babelvlm.report import figures
from babelvlm.report.page import esc, figure, slug, table
from babelvlm.report.rundata import AXIS_NAMES
from babelvlm.schema import SampleScore, TaskResult

WORST_SHOWN = 8
EVIDENCE_CHARS = 400
EVIDENCE_LABELS = {"ocr_text": "OCR text", "finish_reason": "finish reason"}


def axis_marginals(
    samples: list[SampleScore], axes: list[str], metric: str
) -> dict[str, dict[str, tuple[float, int]]]:
    """axis -> value -> (mean of ``metric``, n) over the scored samples: each matrix axis on its own."""
    out: dict[str, dict[str, tuple[float, int]]] = {}
    for axis in axes:
        sums: dict[str, list[float]] = defaultdict(list)
        for s in samples:
            value, key = s.scores.get(metric), getattr(s, axis, None)
            if not s.failed and value is not None and key:
                sums[str(key)].append(float(value))
        if sums:
            out[axis] = {k: (sum(v) / len(v), len(v)) for k, v in sums.items()}
    return out


def axis_section(name: str, result: TaskResult, samples: list[SampleScore], metric: str) -> str:
    """A table of the score by every matrix axis (with n) and a bar chart for each axis other than the
    question language (which has its own chart)."""
    axes = list(result.matrix_axes) or ["lang", "image_lang"]
    marginals = axis_marginals(samples, axes, metric)
    if not marginals:
        return ""
    rows = [
        [AXIS_NAMES.get(axis, axis), figures.lang_label(code), mean, n]
        for axis, values in marginals.items()
        for code, (mean, n) in sorted(values.items(), key=lambda kv: figures.lang_order(values).index(kv[0]))
    ]
    parts = ["<h3>Score by each axis</h3>", table(["axis", "language", metric, "n"], rows, left=2)]
    for axis, values in marginals.items():
        if axis == "lang":
            continue
        title = AXIS_NAMES.get(axis, axis)
        svg = figures.bars(
            {metric: {k: v[0] for k, v in values.items()}}, f"{name}: {metric} by {title}", metric
        )
        caption = f"{metric} per {title}, over every question language (n per bar in the table above)."
        parts.append(figure(f"fig-{slug(name)}-by-{slug(axis)}", svg, caption))
    return "\n".join(parts)


def _is_breakdown(value: Any) -> bool:
    """A table ``{group: {metric: number, ...}}`` with at least one number."""
    return (
        isinstance(value, dict)
        and bool(value)
        and all(isinstance(v, dict) for v in value.values())
        and any(isinstance(x, int | float) for v in value.values() for x in v.values())
    )


def _as_breakdown(value: Any) -> dict[str, dict[str, Any]] | None:
    """``value`` as a breakdown table; a per-language table of breakdowns (``{lang: {group: {...}}}``,
    e.g. POPE's categories per language) is flattened to rows ``English (en) · group``."""
    if _is_breakdown(value):
        return dict(value)
    if isinstance(value, dict) and value and all(_is_breakdown(v) for v in value.values()):
        return {
            f"{figures.lang_label(str(o))} · {g}": row
            for o, inner in value.items()
            for g, row in inner.items()
        }
    return None


def _breakdown_key(key: object) -> bool:
    return isinstance(key, str) and key != "by_language" and (key.startswith("by_") or key == "categories")


def find_breakdowns(extra: Mapping[str, Any]) -> Iterator[tuple[str, dict[str, dict[str, Any]]]]:
    """Every ``by_<field>`` (or ``categories``) table in the task's extra results, also one level down
    (POPE's ``pope.by_category``, Heron-Bench's ``heron.categories``), except per-language tables that
    the matrix already shows."""
    for key, value in extra.items():
        table = _as_breakdown(value) if _breakdown_key(key) else None
        if table:
            yield key.removeprefix("by_").replace("_", " "), table
        elif isinstance(value, dict):
            for sub, inner in value.items():
                table = _as_breakdown(inner) if _breakdown_key(sub) else None
                if table:
                    yield f"{key} {str(sub).removeprefix('by_').replace('_', ' ')}", table


def breakdown_section(name: str, result: TaskResult, metric: str) -> str:
    """Each breakdown as a table (every metric, with n) and a bar chart of the task's metric."""
    parts = []
    for label, groups in find_breakdowns(result.extra):
        metrics = sorted(
            {m for v in groups.values() for m, x in v.items() if m != "n" and isinstance(x, int | float)}
        )
        has_n = any("n" in v for v in groups.values())
        rows = [
            [group]
            + [vals.get(m) for m in metrics]
            + ([int(vals["n"]) if "n" in vals else None] if has_n else [])
            for group, vals in groups.items()
        ]
        parts.append(f"<h3>By {esc(label)}</h3>")
        parts.append(table([label, *metrics, *(["n"] if has_n else [])], rows))
        shown = metric if metric in metrics else (metrics[0] if metrics else "")
        values = {g: v.get(shown) for g, v in groups.items() if isinstance(v.get(shown), int | float)}
        if values:
            svg = figures.bars({shown: values}, f"{name}: {shown} by {label}", shown)
            caption = f"{shown} per {label} (n per bar in the table above)."
            parts.append(figure(f"fig-{slug(name)}-by-{slug(label)}", svg, caption))
    return "\n".join(parts)


def _evidence_html(sample: SampleScore) -> str:
    items = []
    for key, value in sample.evidence.items():
        text = value if len(value) <= EVIDENCE_CHARS else value[:EVIDENCE_CHARS] + " …"
        label = EVIDENCE_LABELS.get(key, key.replace("_", " "))
        items.append(f'<b>{esc(label)}</b>: <span class="evidence">{esc(text)}</span>')
    return "<br>".join(items) or '<span class="ns">none recorded</span>'


def worst_examples(samples: list[SampleScore], metric: str, k: int = WORST_SHOWN) -> list[SampleScore]:
    """Up to ``k`` imperfect answers with the lowest ``metric``, taken round-robin from the worst
    (question, image/output language) cells first, so that the examples explain the weakest cells."""

    def value(s: SampleScore) -> float:
        return float(s.scores.get(metric) or 0.0)

    cells: dict[tuple[str, str], list[SampleScore]] = defaultdict(list)
    for s in samples:
        if not s.failed and s.scores.get(metric) is not None:
            cells[(s.lang, s.image_lang or s.output_lang or "")].append(s)
    ranked = sorted(cells.values(), key=lambda group: sum(map(value, group)) / len(group))
    queues = [sorted((s for s in group if value(s) < 1.0), key=value) for group in ranked]
    out: list[SampleScore] = []
    while len(out) < k and any(queues):
        for queue in queues:
            if queue and len(out) < k:
                out.append(queue.pop(0))
    return out


def worst_section(name: str, samples: list[SampleScore], metric: str) -> str:
    """The worst examples: prediction, accepted answers and the evidence behind each answer."""
    worst = worst_examples(samples, metric)
    if not worst:
        return ""
    rows = [
        [
            s.sample_id,
            figures.lang_label(s.lang),
            figures.lang_label(s.image_lang or s.output_lang or "–"),
            s.prediction or "",
            " | ".join(s.references) or "–",
            (_evidence_html(s), True),
            s.scores.get(metric),
        ]
        for s in worst
    ]
    head = ["sample", "question", "image text / output", "prediction", "accepted answers", "evidence", metric]
    note = (
        '<p class="note">Lowest-scoring answers, taken from the weakest language cells first. Evidence is '
        "what the model's pipeline and the scorer saw: the OCR text read from the image, the answer "
        "extracted from the prediction, the judge's rationale.</p>"
    )
    return f'<h3 id="worst-{slug(name)}">Worst examples</h3>' + note + table(head, rows, left=6)
