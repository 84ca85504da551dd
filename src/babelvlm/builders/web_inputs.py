"""Inputs of the web-corpus builder, as readers: Common Crawl WARC (pages, with their images read from the
same WARC when it holds them) and WAT (image links with alt texts) files via warcio; JSONL/parquet lists of
(page URL, HTML) or (image URL, alt text); local image folders (an optional ``NAME.txt`` beside an image is
its alt text). Broken records (truncated WARC, undecodable HTML, bad rows) are counted drops.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
from datatrove.data import Document, Media

from babelvlm.builders.steps import Drop, Reader

log = logging.getLogger(__name__)

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_\-]+)""", re.IGNORECASE)

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")


def decode_html(body: bytes, content_type: str = "") -> str | None:
    """HTML bytes as text: the charset the server declared, else the page's ``<meta charset>``, else UTF-8,
    else charset detection; None when nothing decodes it."""
    declared = content_type.lower().partition("charset=")[2].split(";")[0].strip().strip("\"'")
    meta = _META_CHARSET.search(body[:4096])
    in_page = meta.group(1).decode("ascii", "replace").lower() if meta else ""
    for encoding in (declared, in_page, "utf-8"):
        if encoding:
            try:
                return body.decode(encoding)
            except (LookupError, UnicodeDecodeError):
                continue
    from charset_normalizer import from_bytes

    best = from_bytes(body).best()
    return None if best is None else str(best)


@lru_cache(maxsize=4)
def warc_image_index(path: str) -> dict[str, int]:
    """Target URL -> record offset of every image response in a WARC file (built once per process)."""
    from warcio.archiveiterator import ArchiveIterator

    index: dict[str, int] = {}
    with open(path, "rb") as stream:
        records = ArchiveIterator(stream)
        try:
            for record in records:
                ctype = record.http_headers.get_header("Content-Type", "") if record.http_headers else ""
                if record.rec_type == "response" and ctype.lower().startswith("image/"):
                    index[record.rec_headers.get_header("WARC-Target-URI")] = records.get_record_offset()
        except Exception:  # a truncated tail: the images before it stay usable
            pass
    return index


def _page(url: str, html: str, source: str, extra: dict[str, Any] | None = None) -> Document:
    return Document(text=html, id=url, metadata={"url": url, "source": source, **(extra or {})})


class WarcPages(Reader):
    """HTML pages of WARC files (``response`` records); WAT files give a page per ``metadata`` record
    with its image links (``metadata['links']``, no text). Image responses are not pages: pages that
    refer to them read them from the WARC (see ``ExtractPage``)."""

    name = "read_warc"

    def read(self, path: str) -> Iterator[Document | Drop]:
        from warcio.archiveiterator import ArchiveIterator

        with open(path, "rb") as stream:
            try:
                for record in ArchiveIterator(stream):
                    item = self._record(record, path)
                    if item is not None:
                        yield item
            except Exception as exc:  # warcio raises several types on a truncated/corrupt tail
                log.warning(
                    "%s: broken WARC record after the last good one (%s: %s)", path, type(exc).__name__, exc
                )
                yield Drop("broken warc record")

    def _record(self, record: Any, path: str) -> Document | Drop | None:
        url = record.rec_headers.get_header("WARC-Target-URI") or ""
        if record.rec_type == "metadata" and path.endswith((".wat", ".wat.gz")):
            return _wat_page(url, record.content_stream().read(), path)
        if record.rec_type != "response":
            return None
        ctype = record.http_headers.get_header("Content-Type", "") if record.http_headers else ""
        if ctype.lower().startswith("image/"):
            return None
        if "html" not in ctype.lower():
            return Drop("not html")
        html = decode_html(record.content_stream().read(), ctype)
        if html is None:
            return Drop("html not decodable")
        return _page(url, html, path, {"warc_path": path})


def _wat_page(url: str, payload: bytes, path: str) -> Document | Drop:
    try:
        envelope = json.loads(payload)["Envelope"]
        meta = envelope["Payload-Metadata"]["HTTP-Response-Metadata"].get("HTML-Metadata", {})
    except (ValueError, KeyError, TypeError):
        return Drop("bad wat record")
    links = [
        {"url": link["url"], "alt": link.get("alt", "")}
        for link in meta.get("Links", [])
        if str(link.get("path", "")).startswith("IMG@") and link.get("url")
    ]
    page_url = envelope.get("WARC-Header-Metadata", {}).get("WARC-Target-URI", url)
    return _page(page_url, "", path, {"links": links})


def _rows(path: str) -> Iterator[dict[str, Any] | Drop]:
    if path.endswith(".parquet"):
        yield from pq.read_table(path).to_pylist()
        return
    with open(path, encoding="utf-8", errors="replace") as lines:
        for line in lines:
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except ValueError:
                yield Drop("bad json line")
                continue
            yield row if isinstance(row, dict) else Drop("bad json line")


class PageList(Reader):
    """A JSONL or parquet list of pages with columns ``url`` and ``html``."""

    name = "read_pages"

    def read(self, path: str) -> Iterator[Document | Drop]:
        for row in _rows(path):
            if isinstance(row, Drop):
                yield row
            elif not isinstance(row.get("html"), str) or not row.get("url"):
                yield Drop("row without url/html")
            else:
                yield _page(str(row["url"]), row["html"], path)


class AltPairList(Reader):
    """A JSONL or parquet list of alt-text pairs with columns ``image_url`` (or ``url``) and ``alt``
    (or ``text``): one pair document each."""

    name = "read_pairs"

    def read(self, path: str) -> Iterator[Document | Drop]:
        for i, row in enumerate(_rows(path)):
            if isinstance(row, Drop):
                yield row
                continue
            url, alt = row.get("image_url") or row.get("url"), row.get("alt", row.get("text"))
            if not url or not isinstance(alt, str):
                yield Drop("row without image_url/alt")
                continue
            media = Media(id=f"{Path(path).name}:{i}", type=0, url=str(url), alt=alt)
            yield Document(text=alt, id=media.id, media=[media], metadata={"source": path})


class ImageFolder(Reader):
    """Image files (one path each, e.g. every file of a folder); ``NAME.txt`` beside ``NAME.jpg`` is the
    alt text (empty when missing)."""

    name = "read_images"

    def read(self, path: str) -> Iterator[Document | Drop]:
        file = Path(path)
        caption = file.with_suffix(".txt")
        alt = caption.read_text(encoding="utf-8", errors="replace").strip() if caption.is_file() else ""
        media = Media(id=file.name, type=0, url=file.resolve().as_uri(), alt=alt, path=str(file))
        yield Document(text=alt, id=file.name, media=[media], metadata={"source": str(file.parent)})


def image_files(folder: Path) -> list[str]:
    """Every JPEG/PNG file under ``folder`` (recursively), sorted."""
    return sorted(str(p) for p in folder.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
