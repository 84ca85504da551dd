"""From a page to the builder's documents: the page's text blocks and images in reading order (lxml), and
the alt-text pairs of its images. An image that the page's WARC holds is read from there, not fetched."""

from __future__ import annotations

import re
from urllib.parse import urljoin

import lxml.etree
import lxml.html
from datatrove.data import Document, Media

from babelvlm.builders.steps import Drop, Expand, Transform
from babelvlm.builders.web_inputs import warc_image_index

_BLOCKS = frozenset(
    [
        "p",
        "div",
        "li",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "td",
        "th",
        "tr",
        "br",
        "blockquote",
        "pre",
        "section",
        "article",
        "header",
        "footer",
        "figcaption",
        "dt",
        "dd",
        "table",
        "ul",
        "ol",
        "figure",
        "main",
        "aside",
    ]
)
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")  # lxml refuses str input that declares an encoding
_SKIP = frozenset({"script", "style", "noscript", "template", "head", "svg", "iframe"})


class _Walker:
    """Collects text blocks and images of an lxml tree in document order."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.blocks: list[str] = []
        self.images: list[tuple[str, str, int]] = []
        self._current: list[str] = []

    def flush(self) -> None:
        text = " ".join(" ".join(self._current).split())
        if text:
            self.blocks.append(text)
        self._current = []

    def walk(self, element: lxml.html.HtmlElement) -> None:
        tag = element.tag if isinstance(element.tag, str) else ""
        if tag in _SKIP or not tag:
            self._current.append(element.tail or "")
            return
        if tag in _BLOCKS:
            self.flush()
        if tag == "img" and element.get("src"):
            self.flush()
            src = urljoin(self.base_url, element.get("src", "").strip())
            self.images.append((src, element.get("alt", "") or "", len(self.blocks)))
        self._current.append(element.text or "")
        for child in element:
            self.walk(child)
        if tag in _BLOCKS:
            self.flush()
        self._current.append(element.tail or "")


def extract_page(html: str, base_url: str) -> tuple[list[str], list[tuple[str, str, int]]]:
    """(text blocks, images as (absolute URL, alt, index of the block they precede)) of an HTML page."""
    root = lxml.html.document_fromstring(_XML_DECLARATION.sub("", html, count=1))
    walker = _Walker(base_url)
    body = root.find("body")
    walker.walk(body if body is not None else root)
    walker.flush()
    return walker.blocks, walker.images


class ExtractPage(Transform):
    """Page HTML -> ``text`` (one block per line) and ``media`` (its images, ``metadata['position']`` the
    text block each precedes); pages from WAT files get their image links. Unparseable HTML is dropped."""

    name = "extract_page"

    def apply(self, doc: Document) -> Document | Drop:
        url = str(doc.metadata.get("url", doc.id))
        if "links" in doc.metadata:
            blocks: list[str] = []
            images = [(link["url"], link["alt"], 0) for link in doc.metadata.pop("links")]
        else:
            try:
                blocks, images = extract_page(doc.text, url)
            except (lxml.etree.ParserError, ValueError):
                return Drop("unparseable html")
        warc = doc.metadata.get("warc_path")
        index = warc_image_index(str(warc)) if warc else {}
        doc.text = "\n".join(blocks)
        doc.media = []
        for k, (src, alt, position) in enumerate(images):
            media = Media(id=f"{url}#img{k}", type=0, url=src, alt=alt, metadata={"position": position})
            if src in index:
                media.path, media.offset = str(warc), index[src]
            doc.media.append(media)
        return doc


class PairsFromPage(Expand):
    """A page -> one alt-text pair document per image with a non-empty alt text (seed 002: the alt
    attributes of the images of the pages)."""

    name = "alt_pairs"

    def expand(self, doc: Document) -> list[Document] | Drop:
        pairs = [
            Document(text=m.alt or "", id=m.id, media=[m], metadata={"page_url": doc.metadata.get("url", "")})
            for m in doc.media
            if (m.alt or "").strip()
        ]
        return pairs or Drop("no image with alt text")
