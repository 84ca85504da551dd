"""Task ``jsonl``: any visual question answering file in the engine's own simple format.

One JSON object per line: ``id`` (string or number), ``image`` (a path relative to the file, or a list
of them), ``question``, ``answers`` (a list of reference strings, or one string) and optionally ``lang``
(ISO 639-1, default ``en``), ``output_lang`` and ``image_lang``. Scored with exact match and VQA accuracy.
Options: ``-T suffix=TEXT`` appended to every question; ``-T max_new_tokens=N``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from babelvlm.errors import ConfigError, DataError
from babelvlm.langs import LANGUAGES
from babelvlm.schema import ImageRef, Sample
from babelvlm.tasks.base import LoadOptions, Task, TaskInfo, limit_evenly
from babelvlm.tasks.skipped_rows import record_skipped_row

log = logging.getLogger(__name__)

_FIX_ROW = (
    'each line must be an object like {"id": "1", "image": "a.png", "question": "...", "answers": ["..."]}'
)


def _field_str(row: dict[str, Any], name: str, where: tuple[str, int], required: bool = True) -> str | None:
    value = row.get(name)
    if value is None:
        if required:
            raise DataError("is missing", file=where[0], row=where[1], field=name, fix=_FIX_ROW)
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise DataError(
            f"must be a string, got {type(value).__name__}", file=where[0], row=where[1], field=name
        )
    return str(value)


def _lang(row: dict[str, Any], name: str, where: tuple[str, int], default: str | None) -> str | None:
    code = _field_str(row, name, where, required=False) or default
    if code is not None and code not in LANGUAGES:
        raise DataError(
            f"unknown language code '{code}'",
            file=where[0],
            row=where[1],
            field=name,
            fix=f"use an ISO 639-1 code from: {', '.join(sorted(LANGUAGES))}",
        )
    return code


def _answers(row: dict[str, Any], where: tuple[str, int]) -> list[str]:
    value = row.get("answers")
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value or not all(isinstance(a, str | int | float) for a in value):
        raise DataError(
            "must be a non-empty list of strings", file=where[0], row=where[1], field="answers", fix=_FIX_ROW
        )
    return [str(a) for a in value]


def _images(row: dict[str, Any], base: Path, where: tuple[str, int]) -> list[ImageRef]:
    value = row.get("image")
    paths = [value] if isinstance(value, str) else value
    if not isinstance(paths, list) or not all(isinstance(p, str) and p for p in paths):
        raise DataError(
            "must be an image path or a list of paths",
            file=where[0],
            row=where[1],
            field="image",
            fix=_FIX_ROW,
        )
    refs = []
    for p in paths:
        path = (base / p) if not Path(p).is_absolute() else Path(p)
        if not path.is_file():
            raise DataError(
                f"image file not found: {path}",
                file=where[0],
                row=where[1],
                field="image",
                fix="image paths are relative to the JSONL file's folder",
            )
        refs.append(ImageRef(path=str(path), source=f"{where[0]} row {where[1]} field 'image'"))
    return refs


class JsonlTask(Task):
    """The engine's generic VQA task (see the module docstring)."""

    info = TaskInfo(
        name="jsonl",
        description="Generic VQA from a JSONL file (id, image, question, answers, lang).",
        paper="-",
        languages=tuple(LANGUAGES),
        formats=("jsonl",),
        metrics=("exact_match", "vqa_accuracy"),
        primary_metric="vqa_accuracy",
        matrix_axes=("lang", "image_lang"),
    )

    def _sample(self, row: Any, where: tuple[str, int], base: Path, options: LoadOptions) -> Sample:
        if not isinstance(row, dict):
            raise DataError(f"is a JSON {type(row).__name__}, not an object", file=where[0], row=where[1])
        question = _field_str(row, "question", where) or ""
        suffix = options.extra.get("suffix", "")
        try:
            max_new = int(options.extra.get("max_new_tokens", "32"))
        except ValueError:
            raise ConfigError(
                "task option max_new_tokens must be an integer (fix: -T max_new_tokens=32)"
            ) from None
        return Sample(
            id=_field_str(row, "id", where) or "",
            task=self.name,
            prompt=f"{question}{suffix}",
            references=_answers(row, where),
            lang=_lang(row, "lang", where, "en") or "en",
            images=_images(row, base, where),
            output_lang=_lang(row, "output_lang", where, None),
            image_lang=_lang(row, "image_lang", where, None),
            max_new_tokens=max_new,
        )

    def _rows(self, options: LoadOptions) -> Iterator[Sample]:
        path = options.data
        if path is None:
            raise ConfigError("task 'jsonl' needs --data FILE.jsonl")
        if not Path(path).is_file():
            raise DataError("file not found", file=str(path), fix="check the --data path")
        name, seen = str(path), set()
        with open(path, encoding="utf-8") as fh:
            for n, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                try:
                    try:
                        row = json.loads(line)
                    except json.JSONDecodeError as exc:
                        raise DataError(
                            f"is not valid JSON ({exc.msg})", file=name, row=n, fix=_FIX_ROW
                        ) from exc
                    sample = self._sample(row, (name, n), Path(path).parent, options)
                    if sample.id in seen:
                        raise DataError(f"duplicate id '{sample.id}'", file=name, row=n, field="id")
                    seen.add(sample.id)
                except DataError as exc:
                    if not options.skip_bad_rows:
                        raise
                    record_skipped_row(exc)
                    continue
                if options.langs is None or sample.lang in options.langs:
                    yield sample

    def load(self, options: LoadOptions) -> Iterator[Sample]:
        """Samples in file order (``--limit`` taken evenly across languages)."""
        if options.limit is None:
            yield from self._rows(options)
        else:
            yield from limit_evenly(self._rows(options), options.limit)

    def score(self, sample: Sample, prediction: str) -> dict[str, float | None]:
        """exact_match and vqa_accuracy (both 0-1) of ``prediction`` against the sample's answers."""
        from babelvlm.metrics import get_metric

        return {
            name: float(get_metric(name)(prediction, sample.references, lang=sample.lang))
            for name in self.info.metrics
        }


TASKS: list[Task] = [JsonlTask()]
