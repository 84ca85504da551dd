"""The three public formats ``babelvlm translate`` reads and writes, each in its own shape.

A format lists the texts to translate as ``Unit``s (item id, field, text) and writes a translated copy from a
``(item, field) -> translation`` map, keeping ids, images and every other field:
- VLMEvalKit TSV (MMBench, MMMB, ScienceQA, MME, POPE, AI2D): ``question``, ``hint`` and the option columns
  A, B, ...; answers are letters or yes/no labels and stay. Rotated MMBench copies hold the same texts in
  another order, so translating each distinct text once keeps circular groups consistent. Streamed twice
  (texts, then rows), never loading the base64 images at once. Out: ``<name>_<lang>.tsv``.
- XT-VQA JSONL: ``question_<src>`` -> ``question_<lang>``; answers stay in the image-text language (the
  task scores against L_src). Out: one JSONL with every language's question, images as absolute paths.
- MultiExpArt JSON (Appendix K): title, section path, ``gold`` and each ``gold_entity``; the prompt is
  re-rendered from the target language's template with the translated slots. Out: ``<name>_<lang>.json``.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from string import ascii_uppercase
from typing import Any, Protocol

from babelvlm.errors import DataError
from babelvlm.tasks.datafiles import iter_rows
from babelvlm.tasks.tsv import language_of_file

Translations = dict[tuple[str, str], str]
TSV_TEXT_COLUMNS = ("question", "hint", *ascii_uppercase)


@dataclass(frozen=True)
class Unit:
    """One text to translate: the item it belongs to, its field and the source text."""

    item: str
    field: str
    text: str


class BenchmarkFile(Protocol):
    """A benchmark file in its public format (see the module docstring)."""

    path: Path
    source_lang: str

    def units(self) -> Iterator[Unit]: ...

    def write(self, lang: str, translations: Translations, out: Path, drop: set[str]) -> Path: ...


def renamed(path: Path, lang: str, suffix: str) -> str:
    """``MMBench_DEV_EN.tsv`` -> ``MMBench_DEV_fr.tsv``; ``MMBench.tsv`` -> ``MMBench_fr.tsv``."""
    tokens = re.split(r"([_\-.\s]+)", path.stem)
    if len(tokens) > 1 and language_of_file(Path(tokens[-1] + suffix)) is not None:
        tokens = tokens[:-2]
    return "".join(tokens) + f"_{lang}{suffix}"


class TsvFile:
    """A VLMEvalKit TSV (see the module docstring)."""

    def __init__(self, path: Path, source_lang: str | None = None) -> None:
        self.path = path
        lang = source_lang or language_of_file(path)
        if lang is None:
            raise DataError("the file name names no language", file=str(path), fix="pass --from en")
        self.source_lang = lang
        csv.field_size_limit(2**31 - 1)

    def _rows(self) -> Iterator[tuple[int, dict[str, str]]]:
        with self.path.open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle, delimiter="\t")
            if reader.fieldnames is None or "index" not in reader.fieldnames:
                raise DataError("no 'index' column", file=str(self.path), fix="use a VLMEvalKit TSV")
            yield from enumerate(reader, start=1)

    def units(self) -> Iterator[Unit]:
        """question, hint and option texts of every row (empty and NaN cells skipped)."""
        for _, row in self._rows():
            for column in TSV_TEXT_COLUMNS:
                value = (row.get(column) or "").strip()
                if value and value not in ("nan", "NaN"):
                    yield Unit(row["index"], column, value)

    def write(self, lang: str, translations: Translations, out: Path, drop: set[str]) -> Path:
        """The translated TSV: same columns and rows, text cells replaced; rows in ``drop`` left out."""
        target = out / renamed(self.path, lang, ".tsv")
        tmp = target.with_name(target.name + ".tmp")
        with tmp.open("w", encoding="utf-8", newline="") as handle:
            writer: csv.DictWriter[str] | None = None
            for _, row in self._rows():
                if row["index"] in drop:
                    continue
                if writer is None:
                    writer = csv.DictWriter(handle, fieldnames=list(row), delimiter="\t")
                    writer.writeheader()
                for column in TSV_TEXT_COLUMNS:
                    if (row["index"], column) in translations:
                        row[column] = translations[(row["index"], column)]
                writer.writerow(row)
            if writer is None:  # every row left out: still a TSV with the source's header
                with self.path.open(encoding="utf-8", newline="") as source:
                    handle.write(source.readline())
        tmp.replace(target)
        return target


class XtvqaFile:
    """An XT-VQA JSONL (see the module docstring)."""

    def __init__(self, path: Path, source_lang: str | None = None) -> None:
        self.path, self.source_lang = path, source_lang or "en"

    def _rows(self) -> Iterator[tuple[str, dict[str, Any]]]:
        for row in iter_rows(self.path):
            if row.problem is not None:
                raise row.problem
            yield f"{row.fields.get('dataset', '')}:{row.text('id')}", dict(row.fields)

    def units(self) -> Iterator[Unit]:
        """``question_<source>`` of every row."""
        field = f"question_{self.source_lang}"
        for key, fields in self._rows():
            text = fields.get(field)
            if not isinstance(text, str) or not text.strip():
                raise DataError(f"no {field}", file=str(self.path), field=field, fix="pass --from LANG")
            yield Unit(key, field, text.strip())

    def write(self, lang: str, translations: Translations, out: Path, drop: set[str]) -> Path:
        """Adds ``question_<lang>`` to the JSONL in ``out`` (created from the source on the first language);
        rows in ``drop`` left out."""
        target = out / self.path.name
        rows = (
            [json.loads(line) for line in target.read_text("utf-8").splitlines() if line.strip()]
            if target.exists()
            else [self._absolute(fields) for key, fields in self._rows() if key not in drop]
        )
        for row in rows:
            key = f"{row.get('dataset', '')}:{row['id']}"
            row[f"question_{lang}"] = translations[(key, f"question_{self.source_lang}")]
        text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
        tmp = target.with_name(target.name + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(target)
        return target

    def _absolute(self, fields: dict[str, Any]) -> dict[str, Any]:
        image = fields.get("image")
        if isinstance(image, str) and image and not Path(image).is_absolute():
            fields["image"] = str((self.path.parent / image).resolve())
        return fields
