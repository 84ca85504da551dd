"""The Hugging Face copies of the VLMEvalKit benchmarks, read offline as they are published: a local folder
of parquet files, or a dataset id already in the local Hugging Face cache (``--data lmms-lab/MME``; nothing
is downloaded).

Published layouts (the dataset cards' columns), each turned into the VLMEvalKit TSV row it stands for, so
that both formats build the very same samples:

- lmms-lab/MMBench (configs ``en`` / ``cn``, splits ``dev`` / ``test``) and Parrot's MMMB: the TSV columns
  (``index``, ``question``, ``hint``, ``A``..``D``, ``answer``, ``category``, ``L2-category``); the image an
  ``{"bytes", "path"}`` struct, or base64 text where the TSV was converted to parquet as it is.
- lmms-lab/ScienceQA (config ``ScienceQA-IMG``): ``question``, ``choices`` (list), ``answer`` (the choice's
  0-based position), ``hint``, ``category``, ``image``.
- lmms-lab/ai2d: ``question``, ``options`` (list), ``answer`` (the position as text), ``image``.
- lmms-lab/MME: ``question_id`` (the image file, shared by an image's two questions), ``question``,
  ``answer`` (Yes/No), ``category``, ``image``.
- lmms-lab/POPE: ``question_id``, ``question``, ``answer`` (yes/no), ``image_source``, ``category``,
  ``image``.

A row's ``index`` is its own ``index`` column, else its 0-based position in the split (lmms-eval's
``doc_id``). The split is ``-T split=NAME``, else the first present of ``SPLIT_PREFERENCE``.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from string import ascii_uppercase
from typing import Any, TypeVar

from babelvlm.errors import DataError
from babelvlm.schema import ImageRef
from babelvlm.tasks.tsv import IMAGE_REF_MAX_LEN, TsvReader, TsvRow, language_of_file

log = logging.getLogger(__name__)

T = TypeVar("T")

SPLIT_PREFERENCE = ("dev", "test", "validation", "val", "train")
"""Default split: MMBench's ``test`` has no answers, so ``dev`` first; the others publish ``test``."""

DEFAULT_CONFIG_DIRS = ("data", "default")
"""Folders holding a dataset's default configuration in a Hub repository."""

_HUB_ID = re.compile(r"^(?P<repo>[A-Za-z0-9][\w.\-]*/[\w.\-]+)(?:/(?P<sub>.+))?$")


def resolve_data(data: Path) -> Path:
    """``data`` itself when it exists; else, when it reads as a Hub dataset id (``owner/name``, optionally
    followed by a folder inside it: ``lmms-lab/ScienceQA/ScienceQA-IMG``), that dataset's snapshot folder
    (or the folder in it) in the local Hugging Face cache (``HF_HUB_CACHE`` / ``HF_HOME``); nothing is
    downloaded, and a dataset that is not cached is a DataError saying how to get it."""
    match = _HUB_ID.match(str(data))
    if data.exists() or match is None:
        return data
    folder = _cached_snapshot(data, match.group("repo"))
    inside = folder / match.group("sub") if match.group("sub") else folder
    if not inside.exists():
        raise DataError(
            f"the cached dataset has no '{match.group('sub')}'",
            file=str(data),
            fix=f"look in {folder} for the folder to name",
        )
    return inside


def _cached_snapshot(data: Path, repo: str) -> Path:
    """The local snapshot folder of Hub dataset ``repo`` (nothing is downloaded)."""
    try:
        from huggingface_hub import snapshot_download
        from huggingface_hub.errors import LocalEntryNotFoundError
    except ImportError:
        raise DataError(
            "is neither a local path nor readable as a Hub dataset id without huggingface_hub",
            file=str(data),
            fix="pip install 'babelvlm[hub]', or give --data a local folder",
        ) from None
    try:
        from huggingface_hub import constants

        cache = os.environ.get("HF_HUB_CACHE") or constants.HF_HUB_CACHE
        folder = snapshot_download(repo, repo_type="dataset", local_files_only=True, cache_dir=cache)
    except LocalEntryNotFoundError:
        raise DataError(
            f"is neither a local path nor a dataset in the local Hugging Face cache ({cache}); "
            "nothing is downloaded",
            file=str(data),
            fix=f"download it once where there is network (`hf download {repo} --repo-type dataset`), "
            "or give --data a local folder",
        ) from None
    return Path(str(folder))


def is_parquet_source(data: Path) -> bool:
    """Whether ``data`` holds parquet files (and no VLMEvalKit TSV)."""
    if data.is_file():
        return data.suffix == ".parquet"
    return data.is_dir() and not any(data.rglob("*.tsv")) and any(data.rglob("*.parquet"))


def _split_of(path: Path) -> str:
    """The split of a shard: ``dev-00000-of-00001.parquet`` or ``en/dev/0000.parquet`` -> ``dev``."""
    if path.parent.name in SPLIT_PREFERENCE:
        return path.parent.name
    return re.split(r"[-.]", path.stem, maxsplit=1)[0].lower()


def _language_of(path: Path, root: Path) -> str | None:
    for part in reversed(path.relative_to(root).parts):
        lang = language_of_file(Path(part))
        if lang is not None:
            return lang
    return None


def _config_of(path: Path, root: Path) -> str:
    parts = path.relative_to(root).parts[:-1]
    parts = parts[:-1] if parts and parts[-1] in SPLIT_PREFERENCE else parts
    return "/".join(parts)


def find_parquet_splits(
    data: Path, langs: Sequence[str] | None, extra: dict[str, str], default_lang: str = "en"
) -> dict[str, list[Path]]:
    """Map language -> the parquet shards of the chosen split (sorted, so rows keep the Hub's order).

    The language comes from a folder or file name (``en/``, ``cn/`` = zh); configurations named by a
    language win over the others (lmms-lab/MMBench's ``cc`` is CCBench, not a language); a dataset with no
    language in its names is ``-T lang``, else ``default_lang`` (the lmms-lab copies of MME, POPE,
    ScienceQA and AI2D are English). ``-T config=NAME`` picks one configuration folder."""
    root = data.parent if data.is_file() else data
    files = [data] if data.is_file() else sorted(data.rglob("*.parquet"))
    if extra.get("config"):
        files = [f for f in files if extra["config"] in _config_of(f, root).split("/")]
    split = extra.get("split") or next(
        (s for s in SPLIT_PREFERENCE if any(_split_of(f) == s for f in files)), None
    )
    chosen = [f for f in files if _split_of(f) == split]
    if not chosen:
        found = sorted({_split_of(f) for f in files}) or ["none"]
        raise DataError(
            f"no parquet file of split '{split}'{_config_note(extra)}; splits found: {', '.join(found)}",
            file=str(data),
            fix="pick one with -T split=NAME (and -T config=NAME)",
        )
    tagged: dict[str, dict[str, list[Path]]] = {}
    untagged: dict[str, list[Path]] = {}
    for f in chosen:
        lang = _language_of(f, root)
        target = untagged if lang is None else tagged.setdefault(lang, {})
        target.setdefault(_config_of(f, root), []).append(f)
    if not tagged:
        tagged[extra.get("lang") or default_lang] = untagged
    out = {lang: _one_config(data, lang, configs) for lang, configs in sorted(tagged.items())}
    if langs is not None:
        out = {lang: shards for lang, shards in out.items() if lang in langs}
    if not out:
        raise DataError(
            f"has no parquet file for language(s) {', '.join(langs or [])}",
            file=str(data),
            fix="drop --langs, or name folders by language",
        )
    log.info("reading split '%s' from %s", split, data)
    return out


def _config_note(extra: dict[str, str]) -> str:
    return f" in configuration '{extra['config']}'" if extra.get("config") else ""


def _one_config(data: Path, lang: str, configs: dict[str, list[Path]]) -> list[Path]:
    """The shards of one language: its only configuration, else the default one (``data/``), else an
    error naming them."""
    if len(configs) == 1:
        return next(iter(configs.values()))
    for config, shards in configs.items():
        if config.split("/")[-1] in DEFAULT_CONFIG_DIRS:
            return shards
    names = ", ".join(sorted(configs))
    raise DataError(
        f"several configurations for language '{lang}': {names}",
        file=str(data),
        fix=f"pick one with -T config=NAME (e.g. -T config={sorted(configs)[-1].split('/')[-1]})",
    )


def tsv_cells(fields: dict[str, Any], position: int) -> dict[str, str]:
    """The VLMEvalKit TSV cells a published Hub row stands for (see the module docstring)."""
    cells: dict[str, str] = {}
    for name, value in fields.items():
        if name == "image" or isinstance(value, dict | bytes | list):
            continue
        cells["l2-category" if name == "L2-category" else name] = "" if value is None else str(value)
    choices = fields.get("choices", fields.get("options"))
    if isinstance(choices, list):
        for letter, text in zip(ascii_uppercase, choices, strict=False):
            cells[letter] = str(text)
        answer = fields.get("answer")
        if isinstance(answer, int) or (isinstance(answer, str) and answer.strip().isdigit()):
            cells["answer"] = ascii_uppercase[int(answer)]
    if "index" not in cells:
        cells["index"] = str(position)
    return cells


def _image(fields: dict[str, Any], source: str) -> list[ImageRef]:
    value = fields.get("image")
    if isinstance(value, dict) and isinstance(value.get("bytes"), bytes) and value["bytes"]:
        return [ImageRef(data=value["bytes"], source=source)]
    if isinstance(value, bytes) and value:
        return [ImageRef(data=value, source=source)]
    if isinstance(value, str) and len(value) > IMAGE_REF_MAX_LEN:
        return [ImageRef(b64=value, source=source)]
    return []


@dataclass
class HubParquetReader:
    """The rows of one language's parquet shards as TSV rows (``parse`` as ``TsvReader.parse``), streamed
    in record batches; a row without an image is a DataError (or skipped with ``skip_bad_rows``)."""

    shards: list[Path]
    required: Sequence[str] = ()
    skip_bad_rows: bool = False
    skipped: list[DataError] = field(default_factory=list)

    def rows(self) -> Iterator[TsvRow]:
        """Every row of every shard, in order, with its image attached."""
        import pyarrow.parquet as pq

        position = 0
        for shard in self.shards:
            number = 0
            for batch in pq.ParquetFile(shard).iter_batches(batch_size=64):
                for fields in batch.to_pylist():
                    number += 1
                    yield self._row(shard, number, position, fields)
                    position += 1

    def _row(self, shard: Path, number: int, position: int, fields: dict[str, Any]) -> TsvRow:
        cells = tsv_cells(fields, position)
        row = TsvRow(shard.name, number, cells)
        row.images = _image(fields, f"{shard.name} row {number} field 'image'")
        shared = fields.get("image_source") or fields.get("question_id")
        row.image_key = str(shared) if "index" not in fields and shared else cells["index"]
        return row

    def parse(self, parse_row: Callable[[TsvRow], T]) -> Iterator[T]:
        """``parse_row(row)`` for every row; a DataError obeys ``skip_bad_rows``."""
        for row in self.rows():
            try:
                for column in self.required:
                    if column not in row.cells:
                        raise row.error(column, "is not a column of this file", "give the published layout")
                if not row.images:
                    raise row.error("image", "holds no image", "give the published file with its images")
                yield parse_row(row)
            except DataError as exc:
                if not self.skip_bad_rows:
                    raise
                log.warning("skipping bad row: %s", exc)
                self.skipped.append(exc)


DataSource = Path | list[Path]
"""One language's data: a VLMEvalKit TSV, or the parquet shards of a Hub copy."""


def language_sources(
    data: Path, prefixes: Sequence[str], langs: Sequence[str] | None, extra: dict[str, str]
) -> dict[str, DataSource]:
    """Map language -> data for a VLMEvalKit-format benchmark: TSVs (``find_language_files``) or, for a
    folder / cached Hub dataset of parquet files, the chosen split's shards per language."""
    from babelvlm.tasks.tsv import find_language_files

    data = resolve_data(data)
    if is_parquet_source(data):
        return dict(find_parquet_splits(data, langs, extra))
    return dict(find_language_files(data, prefixes, langs, extra.get("lang")))


def row_reader(
    source: DataSource, required: Sequence[str], skip_bad_rows: bool, images_dir: Path | None
) -> TsvReader | HubParquetReader:
    """A reader with ``parse(parse_row)`` over one language's TSV or parquet shards."""
    if isinstance(source, list):
        return HubParquetReader(source, required, skip_bad_rows)
    return TsvReader(source, required, skip_bad_rows, images_dir=images_dir)
