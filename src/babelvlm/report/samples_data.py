"""The examples the report's sample browser shows: a few per matrix cell (right, wrong and failed ones),
with their prompt and references from ``samples.jsonl``, the answer the scorer extracted, and a small
JPEG thumbnail of the image, re-read from the run's own data (``results.json`` config)."""

from __future__ import annotations

import base64
import io
import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from babelvlm.schema import RunResult, Sample, SampleScore

log = logging.getLogger(__name__)

PER_CELL = 6
"""Examples shown per matrix cell (at most two of each kind first: failed, wrong, right)."""
PER_TASK = 240
"""Examples shown per task at most (fewer per cell when a task has many cells)."""
THUMB_PX = 128
"""Longest side of a thumbnail, in pixels."""
THUMB_BUDGET = 2_500_000
"""Bytes of thumbnails (base64) one report may hold; beyond it examples are shown without an image."""


@dataclass
class Example:
    """One example row of the browser."""

    sample_id: str
    cell: str
    lang: str
    status: str
    """``right``, ``wrong`` or ``failed``."""
    prompt: str
    prediction: str | None
    extracted: str | None
    references: list[str]
    score: float | None
    error: str | None
    thumbnail: str | None = None
    """A ``data:image/jpeg;base64,...`` URI."""


def status_of(score: SampleScore, metric: str, scale: float) -> str:
    """``failed`` (a recorded failure), ``right`` (primary metric >= half its scale) or ``wrong``."""
    if score.error is not None:
        return "failed"
    value = score.scores.get(metric)
    return "right" if value is not None and value >= scale / 2 else "wrong"


def metric_scale(samples: Iterable[SampleScore], metric: str) -> float:
    """100 for metrics on a 0-100 scale (ROUGE-L, BLEU, entity metrics), else 1."""
    return 100.0 if any((s.scores.get(metric) or 0.0) > 1.0 for s in samples) else 1.0


def sample_metric(samples: Iterable[SampleScore], primary: str) -> str:
    """The per-sample metric behind the headline: ``primary`` when samples carry it, else ``accuracy``
    (corpus headlines such as circular accuracy or F1 are built from it), else the first one scored."""
    keys = [k for s in samples for k in s.scores]
    for name in (primary, "accuracy"):
        if name in keys:
            return name
    return keys[0] if keys else primary


def cell_of(score: SampleScore, axes: tuple[str, str]) -> str:
    """The matrix cell of a sample, ``row→column`` (just ``row`` when the column axis is unset)."""
    row, col = (getattr(score, axis, None) or "" for axis in axes)
    return f"{row}→{col}" if col else str(row)


def choose(samples: list[SampleScore], axes: tuple[str, str], metric: str) -> list[tuple[SampleScore, str]]:
    """A deterministic pick per cell (by sample id): up to two failed, two wrong and two right, then any,
    at most ``PER_CELL`` per cell and ``PER_TASK`` in all; returns (sample, status) pairs."""
    scale = metric_scale(samples, metric)
    cells: dict[str, list[tuple[SampleScore, str]]] = {}
    for s in sorted(samples, key=lambda s: s.sample_id):
        cells.setdefault(cell_of(s, axes), []).append((s, status_of(s, metric, scale)))
    per_cell = max(1, min(PER_CELL, PER_TASK // max(1, len(cells))))
    chosen: list[tuple[SampleScore, str]] = []
    for members in cells.values():
        picked = [
            m for kind in ("failed", "wrong", "right") for m in [x for x in members if x[1] == kind][:2]
        ]
        rest = [m for m in members if m not in picked]
        chosen.extend((picked + rest)[:per_cell])
    return chosen


def sample_texts(path: Path, task: str, ids: set[str]) -> dict[str, tuple[str, list[str]]]:
    """Prompt and references of the chosen samples, streamed from ``samples.jsonl``."""
    out: dict[str, tuple[str, list[str]]] = {}
    if not path.is_file():
        return out
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line) if line.strip() else {}
            if row.get("task") == task and row.get("sample_id") in ids:
                out[row["sample_id"]] = (
                    str(row.get("prompt") or ""),
                    [str(r) for r in row.get("references") or []],
                )
    return out


def task_samples(result: RunResult, task: str, ids: set[str]) -> tuple[dict[str, Sample], str | None]:
    """The chosen samples re-loaded from the run's data (for images and options), and the reason when
    they could not be (then the browser shows no thumbnails and says why)."""
    from babelvlm.tasks.base import LoadOptions
    from babelvlm.tasks.registry import get_task

    config: Mapping[str, Any] = result.config
    try:
        data, images = config.get("data"), config.get("images")
        options = LoadOptions(
            data=Path(data) if data else None,
            langs=config.get("langs"),
            limit=config.get("limit"),
            skip_bad_rows=True,
            images=Path(images) if images else None,
            seed=int(config.get("seed") or 0),
            extra=dict(config.get("task_options") or {}),
        )
        found = {s.id: s for s in get_task(task).load(options) if s.id in ids}
    except Exception as exc:  # the browser is derived data: it shows examples without images instead
        log.warning("report: no thumbnails for %s (%s: %s)", task, type(exc).__name__, exc)
        return {}, f"{type(exc).__name__}: {exc}"
    return found, None


def thumbnail(sample: Sample | None) -> str | None:
    """A JPEG thumbnail (longest side ``THUMB_PX``) of the sample's first image, as a data URI."""
    if sample is None or not sample.images:
        return None
    from PIL import Image

    try:
        with Image.open(io.BytesIO(sample.images[0].read_bytes())) as image:
            image.thumbnail((THUMB_PX, THUMB_PX))
            buf = io.BytesIO()
            image.convert("RGB").save(buf, format="JPEG", quality=70)
    except (OSError, ValueError) as exc:
        log.warning("report: thumbnail of %s failed (%s)", sample.id, exc)
        return None
    return "data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def extracted_answer(sample: Sample | None, score: SampleScore) -> str | None:
    """What the scorer reads from the prediction: an option letter, yes/no, a number or a time; None
    when nothing can be read (or the task scores free text)."""
    text = score.prediction
    if text is None:
        return None
    from babelvlm.metrics import extract_choice, extract_yes_no

    if sample is not None and sample.options:
        return extract_choice(text, sample.options, sample.lang)
    refs = [r.lower() for r in (sample.references if sample else [])]
    if refs and refs[0] in ("yes", "no"):
        return extract_yes_no(text, score.lang)
    kind = score.meta.get("answer_type")
    if kind in ("number", "time"):
        from babelvlm.tasks.babeltext_answers import parse_number, parse_time

        if kind == "time":
            minutes = parse_time(text)
            return None if minutes is None else f"{minutes // 60:02d}:{minutes % 60:02d}"
        number = parse_number(text)
        return None if number is None else f"{number:g}"
    return None


class ThumbnailBudget:
    """The report-wide byte budget for thumbnails (``THUMB_BUDGET``); counts what it turned away."""

    def __init__(self, limit: int | None = None) -> None:
        self.left = THUMB_BUDGET if limit is None else limit
        self.dropped = 0

    def take(self, uri: str | None) -> str | None:
        """``uri`` when it still fits, else None (counted in ``dropped``)."""
        if uri is None:
            return None
        if len(uri) > self.left:
            self.dropped += 1
            return None
        self.left -= len(uri)
        return uri


def build_examples(
    run_dir: Path, result: RunResult, task: str, samples: list[SampleScore], budget: ThumbnailBudget
) -> tuple[list[Example], str | None]:
    """The task's examples (see ``choose``) with texts, extraction and thumbnails; plus the reason
    thumbnails are missing, if any."""
    from babelvlm.tasks.registry import all_tasks

    info = all_tasks()[task].info if task in all_tasks() else None
    axes = info.matrix_axes if info else ("lang", "image_lang")
    metric = sample_metric(
        samples, result.tasks[task].primary_metric or (info.primary_metric if info else "")
    )
    chosen = choose(samples, axes, metric)
    ids = {s.sample_id for s, _ in chosen}
    texts = sample_texts(run_dir / "samples.jsonl", task, ids)
    loaded, problem = task_samples(result, task, ids) if task in all_tasks() else ({}, "unknown task")
    examples = []
    for score, status in chosen:
        sample = loaded.get(score.sample_id)
        prompt, refs = texts.get(score.sample_id, (sample.prompt if sample else "", []))
        examples.append(
            Example(
                sample_id=score.sample_id,
                cell=cell_of(score, axes),
                lang=score.lang,
                status=status,
                prompt=prompt,
                prediction=score.prediction,
                extracted=extracted_answer(sample, score),
                references=refs or (sample.references if sample else []),
                score=score.scores.get(metric),
                error=score.error,
                thumbnail=budget.take(thumbnail(sample)),
            )
        )
    return examples, problem
