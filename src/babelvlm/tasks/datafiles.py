"""Reading benchmark rows from their public file formats, one row at a time.

Formats: JSON Lines (``.jsonl``), JSON (a list of rows, or an object holding the list under ``data``,
``rows``, ``test`` or ``train``), and Parquet (``.parquet``, the Hugging Face datasets export, read in
record batches so that a large file never sits in memory whole). A directory means every such file in
it, in sorted name order. Every row comes with its file and 1-based row number, so that a bad value can
be reported as "file row N field F" with a fix.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from babelvlm.errors import DataError
from babelvlm.schema import ImageRef, Sample
from babelvlm.tasks.skipped_rows import record_skipped_row

log = logging.getLogger(__name__)

ROW_SUFFIXES = (".jsonl", ".json", ".parquet")
_LIST_KEYS = ("data", "rows", "test", "train", "validation")


@dataclass(frozen=True, slots=True)
class Row:
    """One record of a data file: where it came from and its fields."""

    file: Path
    number: int
    """1-based position of the row in its file (the line for JSONL)."""
    fields: dict[str, Any]
    problem: DataError | None = None
    """Set when the row itself could not be read (bad JSON line); ``guarded`` raises or skips it."""

    def error(self, field: str | None, message: str, fix: str) -> DataError:
        """A DataError naming this row's file, row number and ``field``."""
        return DataError(message, file=str(self.file), row=self.number, field=field, fix=fix)

    def text(self, field: str, *, required: bool = True) -> str | None:
        """The non-empty string value of ``field``; numbers are accepted as text (ids)."""
        value = self.fields.get(field)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
        if isinstance(value, str) and value.strip():
            return value
        if not required and value in (None, ""):
            return None
        raise self.error(field, f"expected a non-empty string, got {value!r}", f"give '{field}' a text value")

    def text_list(self, field: str) -> list[str]:
        """A non-empty list of strings (a single string is accepted as a one-element list)."""
        value = self.fields.get(field)
        if isinstance(value, str) and value.strip():
            return [value]
        if isinstance(value, list | tuple) and value and all(isinstance(v, str | int | float) for v in value):
            return [str(v) for v in value]
        raise self.error(
            field, f"expected a non-empty list of strings, got {value!r}", f"give '{field}' a list"
        )


def data_files(path: Path) -> list[Path]:
    """The data files behind ``path``: itself, or the row files in a directory (sorted)."""
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix in ROW_SUFFIXES and p.is_file())
        if not files:
            raise DataError(
                f"no {', '.join(ROW_SUFFIXES)} files in this directory",
                file=str(path),
                fix="point --data at a file",
            )
        return files
    if not path.exists():
        raise DataError("file not found", file=str(path), fix="check the --data path")
    return [path]


def iter_rows(path: Path) -> Iterator[Row]:
    """Every row of every data file behind ``path``, streamed in file order."""
    for file in data_files(path):
        if file.suffix == ".parquet":
            yield from _parquet_rows(file)
        elif file.suffix == ".jsonl":
            yield from _jsonl_rows(file)
        else:
            yield from _json_rows(file)


def _jsonl_rows(file: Path) -> Iterator[Row]:
    with file.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as exc:
                problem = DataError(
                    f"not valid JSON ({exc.msg})", file=str(file), row=number, fix="fix the line"
                )
                yield Row(file, number, {}, problem)
                continue
            if not isinstance(value, dict):
                problem = DataError(
                    "a JSONL row must be an object", file=str(file), row=number, fix="write {...}"
                )
                yield Row(file, number, {}, problem)
                continue
            yield Row(file, number, value)


def json_document(file: Path) -> Any:
    """The parsed JSON document in ``file`` (a clear DataError when it is not JSON)."""
    try:
        return json.loads(file.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise DataError(
            f"not valid JSON ({exc.msg} at line {exc.lineno})", file=str(file), fix="fix the file"
        ) from None


def _json_rows(file: Path) -> Iterator[Row]:
    document = json_document(file)
    if isinstance(document, dict):
        for key in _LIST_KEYS:
            if isinstance(document.get(key), list):
                document = document[key]
                break
    if not isinstance(document, list):
        raise DataError(
            "expected a list of rows (or an object with a 'data' list)",
            file=str(file),
            fix="use the public format",
        )
    for number, value in enumerate(document, start=1):
        if not isinstance(value, dict):
            problem = DataError("a row must be an object", file=str(file), row=number, fix="write {...}")
            yield Row(file, number, {}, problem)
            continue
        yield Row(file, number, value)


def _parquet_rows(file: Path, batch_size: int = 256) -> Iterator[Row]:
    import pyarrow.parquet as pq

    number = 0
    for batch in pq.ParquetFile(file).iter_batches(batch_size=batch_size):
        for value in batch.to_pylist():
            number += 1
            yield Row(file, number, value)


def image_ref(row: Row, field: str, base_dir: Path | None = None) -> ImageRef:
    """The image in ``field``: a path (relative paths resolve against ``base_dir``, default the data
    file's folder), a Hugging Face image struct ``{"bytes": ..., "path": ...}``, or raw bytes. Files are
    not opened here: a missing file fails when its request is built (scoring needs no images)."""
    value = row.fields.get(field)
    source = f"{row.file} row {row.number} field '{field}'"
    if isinstance(value, dict):
        if isinstance(value.get("bytes"), bytes | bytearray) and value["bytes"]:
            return ImageRef(data=bytes(value["bytes"]), source=source)
        value = value.get("path")
    if isinstance(value, bytes | bytearray) and value:
        return ImageRef(data=bytes(value), source=source)
    if isinstance(value, str) and value.strip():
        path = Path(value)
        if not path.is_absolute():
            path = (base_dir or row.file.parent) / path
        return ImageRef(path=str(path), source=source)
    raise row.error(
        field, f"expected an image (path, bytes or {{'bytes','path'}}), got {value!r}", "add the image"
    )


def guarded(
    rows: Iterable[Row], build: Callable[[Row], Iterable[Sample]], skip_bad_rows: bool
) -> Iterator[Sample]:
    """Apply ``build`` to each row; a row raising DataError stops the load, or is logged and skipped
    (with a count at the end) when ``skip_bad_rows`` is set."""
    skipped = 0
    for row in rows:
        try:
            if row.problem is not None:
                raise row.problem
            built = list(build(row))
        except DataError as exc:
            if not skip_bad_rows:
                raise
            skipped += 1
            record_skipped_row(exc)
            continue
        yield from built
    if skipped:
        log.warning("skipped %d bad rows (--skip-bad-rows)", skipped)
