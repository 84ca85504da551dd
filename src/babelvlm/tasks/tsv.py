"""A streaming reader of VLMEvalKit-format TSV files (MMBench, MMMB, ScienceQA, MME, POPE, AI2D).

The public format (VLMEvalKit ``ImageBaseDataset``): a tab-separated file with a header row, read the way
pandas reads it (``"`` quoting, fields may span lines). Columns used here: ``index`` (the sample id),
``image`` (base64-encoded image bytes; a value of at most 64 characters is instead the ``index`` of another
row whose image it shares; a value starting with ``[`` is a Python-style list of several images) or
``image_path`` (a file path, used when there is no ``image`` column), and the task's own columns.

Rows are read one at a time with the ``csv`` module (a field limit large enough for big images); image
text stays a base64 string inside an ``ImageRef`` until the engine builds the request, so a file is never
decoded all at once. Every schema problem is a ``DataError`` naming the file, the row (``row N`` = the
N-th data row after the header) and the column, with the fix.
"""

from __future__ import annotations

import ast
import csv
import logging
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from babelvlm.errors import DataError
from babelvlm.schema import ImageRef
from babelvlm.tasks.skipped_rows import record_skipped_row

logger = logging.getLogger(__name__)

T = TypeVar("T")

IMAGE_REF_MAX_LEN = 64
"""An ``image`` value this short is the ``index`` of the row holding the image (VLMEvalKit convention)."""

MISSING_VALUES = frozenset({"", "nan", "NaN"})
"""Cell values read as missing (pandas reads these as NaN in VLMEvalKit)."""

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


@dataclass(slots=True)
class TsvRow:
    """One data row: its cells by column name, and its image(s) resolved but not decoded."""

    file: str
    """The file name, for error messages."""
    row: int
    """1-based number of the data row (the header is not counted)."""
    cells: dict[str, str]
    images: list[ImageRef] = field(default_factory=list)
    image_key: str = ""
    """The ``index`` of the row whose image this row shows (its own, or the one its ``image`` refers to):
    rows with the same key share an image (e.g. MME's question pairs)."""

    def get(self, column: str) -> str | None:
        """The cell's stripped text, or None when the column is absent or the cell is missing/NaN."""
        value = self.cells.get(column)
        if value is None:
            return None
        value = value.strip()
        return None if value in MISSING_VALUES else value

    def require(self, column: str, fix: str | None = None) -> str:
        """The cell's text; a DataError naming file, row and column when it is missing."""
        value = self.get(column)
        if value is None:
            raise DataError(
                "is empty", file=self.file, row=self.row, field=column, fix=fix or f"fill in '{column}'"
            )
        return value

    def error(self, column: str, message: str, fix: str | None = None) -> DataError:
        """A DataError about ``column`` of this row."""
        return DataError(message, file=self.file, row=self.row, field=column, fix=fix)


@dataclass
class TsvReader:
    """Stream the rows of one VLMEvalKit TSV, resolving image references between rows.

    ``required`` columns must be in the header (besides ``index`` and ``image``/``image_path``).
    With ``skip_bad_rows`` a bad row is logged, recorded in ``skipped`` and left out; otherwise its
    ``DataError`` propagates. ``images_dir`` resolves relative ``image_path`` values (default: the
    TSV's folder).
    """

    path: Path
    required: Sequence[str] = ()
    skip_bad_rows: bool = False
    require_image: bool = True
    images_dir: Path | None = None
    skipped: list[DataError] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.path.name

    def rows(self) -> Iterator[TsvRow]:
        """Yield the rows in file order (a row whose image is a forward reference waits for it)."""
        with self.path.open("r", encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle, delimiter="\t")
            header = self._read_header(reader)
            yield from self._resolve(self._raw_rows(reader, header))

    def parse(self, parse_row: Callable[[TsvRow], T]) -> Iterator[T]:
        """Yield ``parse_row(row)`` for every row; a DataError from it obeys ``skip_bad_rows``."""
        for row in self.rows():
            try:
                yield parse_row(row)
            except DataError as exc:
                self._skip_or_raise(exc)

    def _read_header(self, reader: Iterator[list[str]]) -> list[str]:
        try:
            header = [h.strip() for h in next(reader)]
        except StopIteration:
            raise DataError("the file is empty", file=self.name, fix="give a VLMEvalKit TSV") from None
        columns = set(header)
        shown = ", ".join(header[:20])
        if self.require_image and "image" not in columns and "image_path" not in columns:
            raise DataError(
                f"the TSV has no 'image' (or 'image_path') column; columns: {shown}",
                file=self.name,
                field="image",
                fix="give the VLMEvalKit TSV with base64 images in an 'image' column",
            )
        for column in ("index", *self.required):
            if column not in columns:
                raise DataError(
                    f"the header has no column '{column}'; columns: {shown}",
                    file=self.name,
                    field=column,
                    fix=f"add a '{column}' column (VLMEvalKit format)",
                )
        return header

    def _raw_rows(self, reader: Iterator[list[str]], header: list[str]) -> Iterator[TsvRow]:
        seen: set[str] = set()
        for number, values in enumerate(reader, start=1):
            if not values or (len(values) == 1 and not values[0].strip()):
                continue  # blank line
            try:
                if len(values) != len(header):
                    raise DataError(
                        f"has {len(values)} cells but the header has {len(header)} columns",
                        file=self.name,
                        row=number,
                        fix="check for unquoted tabs or quotes in this row",
                    )
                row = TsvRow(self.name, number, dict(zip(header, values, strict=True)))
                index = row.require("index")
                if index in seen:
                    raise row.error("index", f"'{index}' appears twice", "give every row its own index")
                seen.add(index)
                yield row
            except DataError as exc:
                self._skip_or_raise(exc)

    def _resolve(self, rows: Iterator[TsvRow]) -> Iterator[TsvRow]:
        """Attach images; keep full base64 strings by index (shared, not copied) for later references."""
        by_index: dict[str, str] = {}
        waiting: dict[str, list[TsvRow]] = {}
        for row in rows:
            index = row.cells["index"].strip()
            try:
                raw = self._image_cell(row)
                if raw is not None and len(raw) <= IMAGE_REF_MAX_LEN:
                    row.image_key = raw
                    if raw in by_index:
                        row.images = self._images_of(row, by_index[raw])
                    else:
                        waiting.setdefault(raw, []).append(row)
                        continue
                else:
                    row.image_key = index
                    row.images = self._images_of(row, raw)
                    if raw is not None:
                        by_index[index] = raw
            except DataError as exc:
                self._skip_or_raise(exc)
                continue
            yield row
            for later in waiting.pop(index, []) if index in by_index else []:
                later.images = self._images_of(later, by_index[index])
                yield later
        for target, rows_left in waiting.items():
            for row in rows_left:
                self._skip_or_raise(
                    row.error(
                        "image",
                        f"refers to the image of index '{target}', which no row of the file holds",
                        "give the base64 image or the index of a row that has one",
                    )
                )

    def _image_cell(self, row: TsvRow) -> str | None:
        if "image" not in row.cells:
            return None
        raw = row.get("image")
        if raw is None and self.require_image and row.get("image_path") is None:
            raise row.error("image", "is empty", "give the base64-encoded image")
        return raw

    def _images_of(self, row: TsvRow, raw: str | None) -> list[ImageRef]:
        if raw is not None:
            if raw.startswith("[") and raw.endswith("]"):
                return [self._ref(row, b64) for b64 in _parse_list(row, "image", raw)]
            return [self._ref(row, raw)]
        path_cell = row.get("image_path")
        if path_cell is None:
            if self.require_image:
                raise row.error("image_path", "is empty", "give the image file's path")
            return []
        paths = _parse_list(row, "image_path", path_cell) if path_cell.startswith("[") else [path_cell]
        base = self.images_dir or self.path.parent
        return [
            ImageRef(
                path=str(p if Path(p).is_absolute() else base / p), source=self._source(row, "image_path")
            )
            for p in paths
        ]

    def _ref(self, row: TsvRow, b64: str) -> ImageRef:
        return ImageRef(b64=b64, source=self._source(row, "image"))

    def _source(self, row: TsvRow, column: str) -> str:
        return f"{self.name} row {row.row} column '{column}'"

    def _skip_or_raise(self, exc: DataError) -> None:
        if not self.skip_bad_rows:
            raise exc
        record_skipped_row(exc)
        self.skipped.append(exc)


def _parse_list(row: TsvRow, column: str, text: str) -> list[str]:
    """A cell holding a Python-style list of strings (VLMEvalKit's multi-image convention)."""
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        raise row.error(column, "starts with '[' but is not a list of strings", "fix the list") from None
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise row.error(column, "is not a non-empty list of strings", "give one string per image")
    return [str(v) for v in value]


FILE_LANG_ALIASES: dict[str, str] = {"cn": "zh", "jp": "ja", "kr": "ko"}
"""Language tokens public file names use instead of ISO 639-1 (``mmbench_dev_cn.tsv`` is Chinese)."""


def language_of_file(path: Path) -> str | None:
    """The language a TSV's name ends with: the last ``_``/``-``-separated token of the stem that is a
    registry code (or an alias such as ``cn``), e.g. ``MMBench_DEV_EN_V11.tsv`` -> ``en``."""
    from babelvlm.langs import LANGUAGES

    for token in reversed(re.split(r"[_\-.\s]+", path.stem.lower())):
        code = FILE_LANG_ALIASES.get(token, token)
        if code in LANGUAGES:
            return code
    return None


def find_language_files(
    data: Path, prefixes: Sequence[str], langs: Sequence[str] | None = None, default_lang: str | None = None
) -> dict[str, Path]:
    """Map language -> TSV for one benchmark.

    Naming rule: under ``data`` (searched recursively), a ``*.tsv`` belongs to the benchmark when the
    first token of its name (or its folder's name) is one of ``prefixes`` (case-insensitive), and its
    language is given by ``language_of_file`` -- this matches the public files (``MMBench_DEV_EN.tsv``,
    ``mmbench_dev_cn.tsv``, ``mmmb_ar.tsv``, ``MME_fr.tsv``). ``data`` may also be a single file, whose
    language comes from its name or ``default_lang`` (``-T lang=xx``).
    """
    wanted = {p.lower() for p in prefixes}
    if not data.exists():
        raise DataError("does not exist", file=str(data), fix="give --data a TSV file or a folder of TSVs")
    if data.is_file():
        lang = language_of_file(data) or default_lang
        if lang is None:
            raise DataError(
                "the file name names no language",
                file=str(data),
                fix="name it e.g. mmbench_dev_fr.tsv or pass -T lang=fr",
            )
        found = {lang: data}
    else:
        found = {}
        for path in sorted(data.rglob("*.tsv")):
            first = re.split(r"[_\-.\s]+", path.stem.lower())[0]
            if first not in wanted and path.parent.name.lower() not in wanted:
                continue
            lang = language_of_file(path)
            if lang is None:
                continue
            if lang in found:
                raise DataError(
                    f"two files for language '{lang}': {found[lang].name} and {path.name}",
                    file=str(data),
                    fix="keep one file per language in the folder, or pass the file itself as --data",
                )
            found[lang] = path
    if langs is not None:
        missing = [lang for lang in langs if lang not in found]
        if missing and data.is_dir():
            raise DataError(
                f"no {'/'.join(prefixes)} file for language(s) {', '.join(missing)}; found: "
                f"{', '.join(f'{k}={v.name}' for k, v in found.items()) or 'none'}",
                file=str(data),
                fix=f"add e.g. {prefixes[0]}_{missing[0]}.tsv or drop the language from --langs",
            )
        found = {lang: path for lang, path in found.items() if lang in langs}
    if not found:
        raise DataError(
            f"holds no {'/'.join(prefixes)} TSV named with a language",
            file=str(data),
            fix=f"name files like {prefixes[0]}_<lang>.tsv (e.g. {prefixes[0]}_en.tsv)",
        )
    return found
