"""Streaming reader of MediaWiki XML dumps (``*-pages-articles.xml[.bz2|.gz]``) and the alignment index of
MultiExpArt (seed 000 section 4, STEP 1).

Pages are read one at a time with ``xml.etree.ElementTree.iterparse`` and cleared once yielded, so memory
stays flat whatever the dump size. The index pass reads every dump once with cheap regular expressions:
English artwork articles (an artwork infobox, ``data/wiki_artworks.json``) and their interlanguage links
``[[fr:La Joconde]]``, plus other-language pages that link back to one of them with ``[[en:Mona Lisa]]``.
HTML dumps (NDJSON, ``wiki_ndjson``) also align by their Wikidata item. English dumps are read first, so
only links to known artworks are kept in memory.
"""

from __future__ import annotations

import bz2
import gzip
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from babelvlm.builders.builder_data import builder_data
from babelvlm.builders.wiki_ndjson import is_ndjson, iter_records, record_fields
from babelvlm.errors import DataError
from babelvlm.langs import LANGUAGES

_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_FILE_LANG = re.compile(r"^([a-z]{2,3})wiki")
LANGLINK = re.compile(r"\[\[\s*([a-z]{2,3})\s*:\s*([^\]|\n]+?)\s*\]\]")


def wiki_config() -> dict[str, Any]:
    """The per-language lists of ``data/wiki_artworks.json`` (Appendix F exclusions, infoboxes, ...)."""
    return builder_data("wiki_artworks.json")


@dataclass(frozen=True)
class WikiPage:
    """One page of a dump: language, title, namespace, whether it redirects, its wikitext."""

    lang: str
    title: str
    ns: int
    redirect: bool
    text: str
    qid: str | None = None
    """The Wikidata item (HTML dumps only): aligns articles across languages."""


def _open(path: Path) -> IO[bytes]:
    if path.suffix == ".bz2":
        return bz2.open(path, "rb")
    if path.suffix == ".gz":
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return path.open("rb")


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child_text(elem: ET.Element, name: str) -> str | None:
    for child in elem:
        if _local(child.tag) == name:
            return child.text
    return None


def _page(elem: ET.Element, lang: str) -> WikiPage:
    title, ns, redirect, text = _child_text(elem, "title") or "", _child_text(elem, "ns") or "0", False, ""
    for child in elem:
        name = _local(child.tag)
        if name == "redirect":
            redirect = True
        elif name == "revision":
            text = _child_text(child, "text") or ""
    return WikiPage(lang, title, int(ns) if ns.strip().lstrip("-").isdigit() else 0, redirect, text)


def dump_language(path: Path, xml_lang: str | None = None) -> str:
    """A dump's language: the ``xxwiki`` prefix of its file name, else the root's ``xml:lang``."""
    match = _FILE_LANG.match(path.name)
    lang = match.group(1) if match else xml_lang
    if not lang or lang not in LANGUAGES:
        raise DataError(f"cannot tell the dump's language ('{lang}')", file=str(path),
                        fix="name it like enwiki-...-pages-articles.xml")  # fmt: skip
    return lang


def iter_pages(path: Path) -> Iterator[WikiPage]:
    """Every page of a dump (XML, or the NDJSON of the HTML dumps), streamed; an XML error is a DataError
    naming the file and line."""
    if is_ndjson(path):
        yield from _ndjson_pages(path)
        return
    with _open(path) as handle:
        context = ET.iterparse(handle, events=("start", "end"))
        try:
            _, root = next(context)
            lang = dump_language(path, root.get(_XML_LANG))
            for event, elem in context:
                if event == "end" and _local(elem.tag) == "page":
                    yield _page(elem, lang)
                    root.clear()  # drop every finished page: memory stays flat
        except ET.ParseError as exc:
            raise DataError(f"broken XML ({exc})", file=str(path), fix="re-download the dump") from None
        except StopIteration:
            raise DataError("empty file", file=str(path), fix="give a MediaWiki XML dump") from None


def _ndjson_pages(path: Path) -> Iterator[WikiPage]:
    match = _FILE_LANG.match(path.name)
    with _open(path) as handle:
        for lang, record in iter_records(handle, path, match.group(1) if match else None):
            title, ns, text, qid = record_fields(record)
            yield WikiPage(lang, title, ns, False, text, qid)


def artwork_infobox(lang: str) -> re.Pattern[str]:
    """Matches the opening of an artwork infobox of ``lang`` (case-insensitive)."""
    names = "|".join(re.escape(n).replace(r"\ ", "[ _]") for n in wiki_config()["infoboxes"].get(lang, []))
    return re.compile(r"\{\{\s*(?:" + names + r")\s*(?:\||\}\}|\n)", re.IGNORECASE)


@dataclass
class AlignmentIndex:
    """English artwork titles and, per (language, title), the English title it is aligned to."""

    artworks: set[str] = field(default_factory=set)
    aligned: dict[str, str] = field(default_factory=dict)
    """"lang\\ttitle" -> English title"""

    def en_title(self, lang: str, title: str) -> str | None:
        """The English title a page is aligned to (None = not an artwork article)."""
        if lang == "en":
            return title if title in self.artworks else None
        return self.aligned.get(f"{lang}\t{title}")

    def to_json(self) -> dict[str, Any]:
        return {"artworks": sorted(self.artworks), "aligned": dict(sorted(self.aligned.items()))}


def build_index(paths: list[Path], langs: set[str]) -> AlignmentIndex:
    """Stream every dump once (English first) and collect the alignment (see the module docstring)."""
    index = AlignmentIndex()
    english = [p for p in paths if dump_language(p) == "en"]
    infobox = artwork_infobox("en")
    by_item: dict[str, str] = {}  # Wikidata item -> English title (HTML dumps)
    for path in english:
        for page in iter_pages(path):
            if page.ns == 0 and not page.redirect and infobox.search(page.text):
                index.artworks.add(page.title)
                if page.qid:
                    by_item[page.qid] = page.title
                for lang, title in LANGLINK.findall(page.text):
                    if lang in langs and lang != "en":
                        index.aligned[f"{lang}\t{title}"] = page.title
    for path in (p for p in paths if p not in english):
        for page in iter_pages(path):
            if page.ns != 0 or page.redirect:
                continue
            if page.qid in by_item:
                index.aligned.setdefault(f"{page.lang}\t{page.title}", by_item[page.qid])
            for lang, title in LANGLINK.findall(page.text):
                if lang == "en" and title in index.artworks:
                    index.aligned.setdefault(f"{page.lang}\t{page.title}", title)
    return index
