"""Prediction files made elsewhere, read as they are: BabelVLM JSONL (``id`` + ``prediction``), JSONL keyed by
the source's own ids (``index``, ``question_id``), VLMEvalKit prediction files (``.xlsx`` / ``.tsv`` /
``.csv``: the benchmark's columns plus ``prediction``) and lmms-eval ``--log_samples`` JSONL (``doc_id``,
``doc``, ``resps`` / ``filtered_resps``).

Every row becomes a ``PredictionRow`` (its key, its language when the row names one, the text or the
failure); ``babelvlm.engine.prediction_keys`` then matches the keys to sample ids.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from babelvlm.errors import DataError
from babelvlm.tasks.datafiles import iter_rows

KEY_FIELDS = ("id", "sample_id", "index", "question_id")
"""Row fields that may hold the key, in order of preference (BabelVLM ids first, then source ids)."""

LANG_FIELDS = ("lang", "language")
"""Row fields that may name the row's language (needed when one source id exists in several languages)."""

TABLE_SUFFIXES = (".xlsx", ".tsv", ".csv")


@dataclass(frozen=True, slots=True)
class PredictionRow:
    """One prediction: ``key`` (a sample id or a source id), ``lang`` when the row names one, and either the
    ``prediction`` text or an ``error`` (a failure made elsewhere, kept as a failure)."""

    file: str
    row: int
    key: str
    key_field: str
    lang: str | None
    prediction: str | None
    error: str | None = None


def read_prediction_rows(path: Path) -> list[PredictionRow]:
    """All rows of a prediction file, by its suffix (and, for JSONL, by its rows' shape)."""
    if not path.is_file():
        raise DataError("file not found", file=str(path), fix="check the --predictions path")
    suffix = path.suffix.lower()
    if suffix in TABLE_SUFFIXES:
        return [_table_row(path, n, cells) for n, cells in _table_cells(path)]
    return [_json_row(path, n, row) for n, row in _jsonl_objects(path)]


def _cell_text(value: Any) -> str | None:
    """A spreadsheet / JSON cell as text: whole floats without ``.0`` (Excel stores 17 as 17.0)."""
    if value is None:
        return None
    if isinstance(value, float):
        if value != value:  # NaN: pandas' missing cell
            return None
        if value.is_integer():
            return str(int(value))
    text = str(value).strip()
    return text if text and text not in ("nan", "NaN") else None


def _first_key(path: Path, number: int, fields: Mapping[str, Any]) -> tuple[str, str]:
    for name in KEY_FIELDS:
        key = _cell_text(fields.get(name))
        if key is not None:
            return name, key
    raise DataError(
        f"has none of the key fields {', '.join(KEY_FIELDS)}",
        file=str(path),
        row=number,
        field="id",
        fix='give each row an id, e.g. {"id": "fr/17", "prediction": "B"} or {"index": 17, ...}',
    )


def _lang_of(fields: Mapping[str, Any]) -> str | None:
    for name in LANG_FIELDS:
        lang = _cell_text(fields.get(name))
        if lang is not None:
            return lang.lower()
    return None


def _table_row(path: Path, number: int, cells: dict[str, Any]) -> PredictionRow:
    if "prediction" not in cells:
        raise DataError(
            f"has no 'prediction' column; columns: {', '.join(list(cells)[:20])}",
            file=str(path),
            field="prediction",
            fix="give the VLMEvalKit prediction file (the benchmark's columns plus 'prediction')",
        )
    key_field, key = _first_key(path, number, cells)
    text = _cell_text(cells.get("prediction"))
    error = None if text is not None else "empty prediction cell"
    return PredictionRow(str(path), number, key, key_field, _lang_of(cells), text, error)


def _table_cells(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(data row number, cells by column) of an .xlsx (first sheet), .tsv or .csv file."""
    if path.suffix.lower() == ".xlsx":
        yield from _xlsx_cells(path)
        return
    delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle, delimiter=delimiter)
        header = [h.strip() for h in next(reader, [])]
        for number, values in enumerate(reader, start=1):
            if values and any(v.strip() for v in values):
                yield number, dict(zip(header, values, strict=False))


def _xlsx_cells(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    try:
        from openpyxl import load_workbook
    except ImportError:
        raise DataError(
            "reading .xlsx needs openpyxl", file=str(path), fix="pip install 'babelvlm[xlsx]'"
        ) from None
    book = load_workbook(path, read_only=True, data_only=True)
    try:
        rows = book.worksheets[0].iter_rows(values_only=True)
        header = [str(h).strip() if h is not None else "" for h in next(rows, ())]
        for number, values in enumerate(rows, start=1):
            if any(v is not None for v in values):
                yield number, dict(zip(header, values, strict=False))
    finally:
        book.close()


def _jsonl_objects(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) of a JSONL file (a JSON list works too); a bad line is a DataError."""
    for row in iter_rows(path):
        if row.problem is not None:
            raise row.problem
        yield row.number, row.fields


def _json_row(path: Path, number: int, row: dict[str, Any]) -> PredictionRow:
    if "doc_id" in row and ("resps" in row or "filtered_resps" in row):
        return _lmms_eval_row(path, number, row)
    key_field, key = _first_key(path, number, row)
    pred = row.get("prediction")
    if pred is not None and not isinstance(pred, str):
        raise DataError("must be a string or null", file=str(path), row=number, field="prediction")
    error = None if pred is not None else str(row.get("error") or "no prediction")
    return PredictionRow(str(path), number, key, key_field, _lang_of(row), pred, error)


def _lmms_eval_row(path: Path, number: int, row: dict[str, Any]) -> PredictionRow:
    """An lmms-eval ``--log_samples`` line: the key is the doc's ``index`` (MMBench) when the logged doc has
    one, else ``doc_id`` (the row's position in the split, which is a Hub copy's index here; ``question_id``
    is not unique in MME); the text is the filtered response."""
    doc = row.get("doc") if isinstance(row.get("doc"), dict) else {}
    assert isinstance(doc, dict)
    index = _cell_text(doc.get("index"))
    key_field, key = ("index", index) if index is not None else ("doc_id", str(row["doc_id"]))
    text = _first_text(row.get("filtered_resps"))
    if text is None:
        text = _first_text(row.get("resps"))
    error = None if text is not None else "no response in the lmms-eval log"
    lang = _lang_of(doc) or _lang_of(row)
    return PredictionRow(str(path), number, key, key_field, lang, text, error)


def _first_text(value: Any) -> str | None:
    """The first string in lmms-eval's (possibly nested) response lists."""
    while isinstance(value, list) and value:
        value = value[0]
    return value if isinstance(value, str) else None
