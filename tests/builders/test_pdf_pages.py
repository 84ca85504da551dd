"""PDF pages: the text layer when there is one, the OCR reader for a page without one, reasons otherwise."""

from __future__ import annotations

from pathlib import Path

import pytest
from paper_pdfs import EN_TEXT, write_encrypted_pdf, write_pdf

from babelvlm.builders.pdf_pages import Page, PdfError, render_pages


def test_text_layer_then_ocr_fallback_then_reason(tmp_path: Path) -> None:
    pdf = write_pdf(tmp_path / "p.pdf", [EN_TEXT, ""])
    seen: list[bytes] = []

    def reader(png: bytes) -> list[str]:  # stands in for PP-OCR (the demo extra) on the blank page
        seen.append(png)
        return ["a line that OCR read from the scanned page"]

    pages = list(render_pages(pdf, dpi=50, ocr=reader))
    assert isinstance(pages[0], Page) and pages[0].text_source == "layer" and "AlignNet" in pages[0].text
    assert isinstance(pages[1], Page) and pages[1].text_source == "ocr" and seen == [pages[1].png]
    assert list(render_pages(pdf, dpi=50, ocr=None))[1] == (
        "page 2: no text layer and no OCR (pip install 'babelvlm[demo]')"
    )
    assert list(render_pages(pdf, dpi=50, ocr=lambda png: []))[1] == (
        "page 2: no text (text layer empty, OCR read 0 characters)"
    )


def test_encrypted_and_broken_pdfs_raise_with_the_reason(tmp_path: Path) -> None:
    with pytest.raises(PdfError, match="broken or encrypted"):
        list(render_pages(write_encrypted_pdf(tmp_path / "locked.pdf")))
    (tmp_path / "bad.pdf").write_bytes(b"not a pdf")
    with pytest.raises(PdfError, match="broken or encrypted"):
        list(render_pages(tmp_path / "bad.pdf"))
