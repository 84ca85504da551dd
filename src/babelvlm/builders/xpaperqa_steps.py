"""XPaperQA, part 1 (seed 001 Figure 2): PDF pages -> QA generation prompts -> LLM answers -> QA pairs.

Steps: ``PdfPages`` reads every PDF into page documents (image + text, or the reason a page or file is
unusable), ``QAPrompts`` makes the three generation prompts of the appendix per page (yes-no, extractive,
abstractive, in the paper's language), ``GenerateQA`` asks the generator (through the run store, batched),
``ParseQA`` turns each answer into QA documents and drops each malformed object with its reason.
"""

from __future__ import annotations

import atexit
import logging
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any, ClassVar

from datatrove.data import Document, Media

from babelvlm.builders.builder_data import builder_data
from babelvlm.builders.generation import Ask, StoredModel
from babelvlm.builders.pdf_pages import Page, PdfError, default_ocr, render_pages
from babelvlm.builders.qa_json import parse_qa_text
from babelvlm.builders.steps import IN, KEPT, Drop, Expand, Reader, Step
from babelvlm.text.langid import detect_language
from babelvlm.text.tokenize import has_cjk

log = logging.getLogger(__name__)

QA_TYPES = ("yes-no", "extractive", "abstractive")


def prompts() -> dict[str, Any]:
    """The appendix prompts (``data/xpaperqa_prompts.json``)."""
    return builder_data("xpaperqa_prompts.json")


def prompt_languages() -> tuple[str, ...]:
    """Languages with XPaperQA prompts (en, zh)."""
    return tuple(prompts()["generate"]["yes-no"])


def generation_prompt(qa_type: str, lang: str, content: str) -> str:
    """The appendix's generation prompt of ``qa_type`` in ``lang`` with the page text filled in."""
    template: str = prompts()["generate"][qa_type][lang]
    return template.replace("{{content}}", content)


def reanswer_prompt(qa_type: str, lang: str, content: str, question: str) -> str:
    """The appendix's re-answer prompt with the page text and the question filled in."""
    template: str = prompts()["reanswer"][qa_type][lang]
    return template.replace("{{content}}", content).replace("{{question}}", question)


def consistency_prompt(lang: str, pairs: str) -> str:
    """The appendix's consistency-filter prompt with the two QA objects filled in."""
    template: str = prompts()["consistency"][lang]
    return template.replace("{{pairs}}", pairs)


_OPEN: dict[tuple[ModelRef, int], StoredModel] = {}


@dataclass(frozen=True)
class ModelRef:
    """A picklable reference to a generator whose answers live in ``store``: loaded on first use, once per
    process (the steps that generate, re-answer and translate share it), closed when the process exits."""

    name: str
    options: tuple[tuple[str, str], ...]
    store: str

    def open(self) -> StoredModel:
        key = (self, os.getpid())  # a forked worker opens its own model and SQLite connection
        if key not in _OPEN:
            _OPEN[key] = StoredModel(self.name, dict(self.options), Path(self.store))
            atexit.register(_OPEN[key].close)
        return _OPEN[key]


def paper_language(text: str, langs: tuple[str, ...]) -> str | None:
    """The language of a page: zh when it has CJK characters, else language ID among ``langs``."""
    if has_cjk(text):
        return "zh"
    return detect_language(text, candidates=langs)


class PdfPages(Reader):
    """Each PDF -> one document per usable page (PNG in ``media``, text, paper, page, language)."""

    name = "pdf_pages"
    unit: ClassVar[str] = "pages"

    def __init__(self, paths: list[str], dpi: int = 110, ocr: bool = True) -> None:
        super().__init__(paths)
        self.dpi, self.use_ocr = dpi, ocr

    def read(self, path: str) -> Iterator[Document | Drop]:
        ocr = default_ocr() if self.use_ocr else None
        try:
            for page in render_pages(Path(path), self.dpi, ocr):
                yield Drop(_reason(page)) if isinstance(page, str) else _page_document(page)
        except PdfError as exc:  # the reason stays one stats key; the file and the detail go to the log
            log.warning("%s: unreadable PDF: %s", path, exc)
            yield Drop("unreadable PDF (broken or encrypted)")


def _reason(text: str) -> str:
    return text.split(": ", 1)[1] if ": " in text else text


def _page_document(page: Page) -> Document:
    media = Media(id=f"{page.doc}_p{page.number}", type=0, url="", media_bytes=page.png)
    meta = {"paper": page.doc, "page": page.number, "text_source": page.text_source}
    return Document(text=page.text, id=f"{page.doc}_p{page.number}", media=[media], metadata=meta)


class QAPrompts(Expand):
    """Page -> one prompt document per QA type, in the paper's language (seed 001 appendix prompts)."""

    name = "qa_prompts"
    unit: ClassVar[str] = "pages"

    def __init__(self, langs: tuple[str, ...] = ("en", "zh"), max_content_chars: int = 3000) -> None:
        super().__init__()
        self.langs, self.max_content_chars = langs, max_content_chars

    def expand(self, doc: Document) -> list[Document] | Drop:
        lang = paper_language(doc.text, self.langs)
        if lang is None or lang not in self.langs or lang not in prompt_languages():
            return Drop(f"paper language '{lang}' not among {','.join(self.langs)}")
        content = doc.text[: self.max_content_chars]
        return [
            Document(
                text=generation_prompt(t, lang, content),
                id=f"{doc.id}-{t}",
                media=doc.media,
                metadata={**doc.metadata, "lang": lang, "answer_type": t, "content": content},
            )
            for t in QA_TYPES
        ]


def batched(items: Iterable[Document], size: int) -> Iterator[list[Document]]:
    """Consecutive lists of ``size`` documents."""
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


class GenerateQA(Step):
    """Prompt -> the generator's answer (``text``); a failed call is dropped with its error (it stays in
    the run store's failure log and is retried by a re-run)."""

    name = "generate_qa"
    unit: ClassVar[str] = "prompts"

    def __init__(self, model: ModelRef, batch_size: int = 256, max_new_tokens: int = 1024) -> None:
        super().__init__()
        self.model, self.batch_size, self.max_new_tokens = model, batch_size, max_new_tokens

    def run_counted(self, data: Iterable[Document], rank: int, world_size: int) -> Iterator[Document]:
        model = self.model.open()
        for batch in batched(data, self.batch_size):
            asks = [Ask(self.name, d.id, d.text, max_new_tokens=self.max_new_tokens) for d in batch]
            for doc, output in zip(batch, model.ask(asks), strict=True):
                self.count(IN)
                if output.ok and output.text is not None:
                    self.count(KEPT)
                    yield Document(output.text, doc.id, doc.media, {**doc.metadata, "generator": model.name})
                else:
                    self.drop("generation failed", doc)


class ParseQA(Step):
    """Answer -> one document per well-formed QA object; each malformed object (or an answer with no JSON)
    is dropped with its reason. Counts objects."""

    name = "parse_qa"
    unit: ClassVar[str] = "objects"

    def run_counted(self, data: Iterable[Document], rank: int, world_size: int) -> Iterator[Document]:
        for doc in data:
            parsed, problems = parse_qa_text(doc.text)
            for reason in problems:
                self.count(IN)
                self.drop(reason, doc)
            for k, qa in enumerate(parsed):
                self.count(IN)
                self.count(KEPT)
                meta = {
                    **doc.metadata,
                    "question": qa.question,
                    "answer": qa.answer,
                    "confidence": qa.confidence,
                }
                yield Document(qa.question, f"{doc.id}-{k}", doc.media, meta)
