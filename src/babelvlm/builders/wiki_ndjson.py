"""Wikimedia Enterprise HTML dumps (NDJSON, one article per line) as MultiExpArt input, streamed.

Each line is a JSON object with ``name`` (title), ``in_language.identifier``, ``namespace.identifier``,
``main_entity.identifier`` (the Wikidata item, which aligns articles across languages without
interlanguage links) and ``article_body.wikitext`` (parsed like an XML dump's text; a record without
wikitext is yielded with empty text and dropped downstream as having no image or section). Extract the
``.tar.gz`` the dumps come in first; ``.ndjson``, ``.ndjson.gz`` and ``.ndjson.bz2`` are read.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from babelvlm.errors import DataError


def is_ndjson(path: Path) -> bool:
    """Whether ``path`` is an NDJSON dump (by its suffixes)."""
    return ".ndjson" in path.suffixes or ".jsonl" in path.suffixes


def _nested(record: dict[str, Any], key: str) -> Any:
    value = record.get(key)
    return value.get("identifier") if isinstance(value, dict) else None


def iter_records(
    handle: IO[bytes], path: Path, default_lang: str | None
) -> Iterator[tuple[str, dict[str, Any]]]:
    """(language, record) per line; a line that is not a JSON object is a DataError naming the line."""
    for number, line in enumerate(handle, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DataError(
                f"not JSON ({exc})", file=str(path), row=number, fix="re-extract the dump"
            ) from None
        if not isinstance(record, dict):
            raise DataError("a line must be an object", file=str(path), row=number, fix="use an HTML dump")
        lang = _nested(record, "in_language") or default_lang
        if not isinstance(lang, str):
            raise DataError("no in_language", file=str(path), row=number, fix="name the file xxwiki_...")
        yield lang, record


def record_fields(record: dict[str, Any]) -> tuple[str, int, str, str | None]:
    """(title, namespace, wikitext, Wikidata id) of one record."""
    body = record.get("article_body") if isinstance(record.get("article_body"), dict) else {}
    namespace = _nested(record, "namespace")
    qid = _nested(record, "main_entity")
    return (
        str(record.get("name") or ""),
        int(namespace) if isinstance(namespace, int) else 0,
        str((body or {}).get("wikitext") or ""),
        qid if isinstance(qid, str) else None,
    )
