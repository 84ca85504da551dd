"""XPaperQA, parts 2-3 (seed 001 Figure 2, Table 2): confidence, similarity and consistency filters, yes/no
balance, the questions in the other languages, and the XT-VQA writer. Thresholds are the paper's
(``qa_filters``) and configurable."""

from __future__ import annotations

import json
import os
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import ClassVar

from datatrove.data import Document

from babelvlm.builders.generation import Ask
from babelvlm.builders.qa_filters import (
    MAX_EDIT_DISTANCE,
    MAX_JACCARD,
    MIN_CONFIDENCE,
    balance_yes_no,
    confidence_reason,
    consistency_reason,
    near_duplicate_reason,
    question_tokens,
)
from babelvlm.builders.qa_json import parse_qa_text
from babelvlm.builders.steps import IN, KEPT, DocumentFilter, Step
from babelvlm.builders.translation_prompt import translation_prompt
from babelvlm.builders.xpaperqa_steps import ModelRef, consistency_prompt, reanswer_prompt
from babelvlm.metrics.extract import extract_yes_no


class ConfidenceFilter(DocumentFilter):
    """Keep QA pairs whose self-rated confidence is >= ``minimum`` (7, seed 001 section 3)."""

    name = "confidence"

    def __init__(self, minimum: int = MIN_CONFIDENCE) -> None:
        super().__init__()
        self.minimum = minimum

    def check(self, doc: Document) -> str | None:
        return confidence_reason(int(doc.metadata["confidence"]), self.minimum)


class NearDuplicateFilter(DocumentFilter):
    """Drop a question whose Jaccard similarity (eq. 2) to a kept question of the same paper exceeds
    ``maximum`` (0.1, seed 001 section 3)."""

    name = "similarity"

    def __init__(self, maximum: float = MAX_JACCARD) -> None:
        super().__init__()
        self.maximum = maximum
        self.kept: dict[str, list[frozenset[str]]] = defaultdict(list)

    def check(self, doc: Document) -> str | None:
        tokens = question_tokens(doc.metadata["question"], doc.metadata["lang"])
        paper = doc.metadata["paper"]
        reason = near_duplicate_reason(tokens, self.kept[paper], self.maximum)
        if reason is None:
            self.kept[paper].append(tokens)
        return reason


class ReanswerCheck(DocumentFilter):
    """Ask the generator the question again with the page (the appendix's re-answer prompts) and keep the
    pair only when both answers agree: by edit distance (eq. 3; ``qa_filters.consistency_reason``), or with
    ``judge`` by the appendix's consistency prompt (the LLM says consistent / inconsistent)."""

    name = "consistency"
    batch_size = 256

    def __init__(self, model: ModelRef, max_distance: float = MAX_EDIT_DISTANCE, judge: bool = False) -> None:
        super().__init__()
        self.model, self.max_distance, self.judge = model, max_distance, judge

    def check(self, doc: Document) -> str | None:
        return self.check_batch([doc])[0]

    def check_batch(self, docs: Sequence[Document]) -> list[str | None]:
        asks = []
        for d in docs:
            m = d.metadata
            prompt = reanswer_prompt(m["answer_type"], m["lang"], m["content"], m["question"])
            asks.append(Ask(self.name, d.id, prompt, max_new_tokens=512))
        verdicts: list[str | None] = []
        second: list[tuple[int, str]] = []
        for i, (doc, output) in enumerate(zip(docs, self.model.open().ask(asks), strict=True)):
            parsed = parse_qa_text(output.text)[0] if output.ok and output.text is not None else []
            if not output.ok:
                verdicts.append("re-answer failed")
            elif not parsed:
                verdicts.append("re-answer malformed")
            elif self.judge:
                verdicts.append(None)
                second.append((i, parsed[0].answer))
            else:
                m = doc.metadata
                answer = parsed[0].answer
                verdicts.append(
                    consistency_reason(m["answer_type"], m["answer"], answer, m["lang"], self.max_distance)
                )
        if second:
            self._judge(docs, second, verdicts)
        return verdicts

    def _judge(
        self, docs: Sequence[Document], second: list[tuple[int, str]], verdicts: list[str | None]
    ) -> None:
        """The consistency prompt for each (first answer, re-answer) pair; its verdict replaces ``None``."""
        asks = []
        for i, answer in second:
            m = docs[i].metadata
            pairs = " ".join(
                json.dumps(
                    {"question": m["question"], "answer": a, "confidence": m["confidence"]},
                    ensure_ascii=False,
                )
                for a in (m["answer"], answer)
            )
            asks.append(
                Ask("consistency_judge", docs[i].id, consistency_prompt(m["lang"], pairs), max_new_tokens=128)
            )
        for (i, _), output in zip(second, self.model.open().ask(asks), strict=True):
            parsed = parse_qa_text(output.text or "", score_field="score")[0] if output.ok else []
            verdicts[i] = judge_reason(parsed[0].answer if parsed else None)


def judge_reason(verdict: str | None) -> str | None:
    """None when the judge says the two answers are consistent, else the drop reason."""
    if verdict is None:
        return "consistency judge failed or malformed"
    text = verdict.casefold()
    if "inconsistent" in text or "不一致" in text:
        return "inconsistent: the judge says so"
    return None if ("consistent" in text or "一致" in text) else "consistency judge answer is unclear"


class BalanceYesNo(Step):
    """Keep as many yes as no answers per paper language (Table 2, "final"); other types pass. Holds the
    shard's yes-no pairs until the stream ends."""

    name = "balance_yes_no"
    unit: ClassVar[str] = "pairs"

    def run_counted(self, data: Iterable[Document], rank: int, world_size: int) -> Iterator[Document]:
        held: dict[str, list[Document]] = defaultdict(list)
        for doc in data:
            self.count(IN)
            if doc.metadata["answer_type"] == "yes-no":
                held[doc.metadata["lang"]].append(doc)
            else:
                self.count(KEPT)
                yield doc
        for lang, docs in sorted(held.items()):
            answers = [extract_yes_no(d.metadata["answer"], lang) for d in docs]
            for doc, answer, keep in zip(docs, answers, balance_yes_no(answers), strict=True):
                if keep:
                    self.count(KEPT)
                    yield doc
                else:
                    self.drop("yes-no balance" if answer else "yes-no answer is neither yes nor no", doc)


class TranslateQuestions(DocumentFilter):
    """Add ``question_<lang>`` for every other language by the generator (XPaperQA asks each question in
    en and zh); a failed translation drops the pair."""

    name = "translate_questions"
    batch_size = 256

    def __init__(self, model: ModelRef, langs: tuple[str, ...]) -> None:
        super().__init__()
        self.model, self.langs = model, langs

    def check(self, doc: Document) -> str | None:
        return self.check_batch([doc])[0]

    def check_batch(self, docs: Sequence[Document]) -> list[str | None]:
        jobs = [(d, t) for d in docs for t in self.langs if t != d.metadata["lang"]]
        asks = [Ask(self.name, d.id, translation_prompt(d.metadata["question"], d.metadata["lang"], t))
                for d, t in jobs]  # fmt: skip
        outputs = self.model.open().ask(asks)
        failed = set()
        for (doc, lang), output in zip(jobs, outputs, strict=True):
            if output.ok and output.text and output.text.strip():
                doc.metadata[f"question_{lang}"] = output.text.strip()
            else:
                failed.add(doc.id)
        for doc in docs:
            doc.metadata[f"question_{doc.metadata['lang']}"] = doc.metadata["question"]
        return ["question translation failed" if d.id in failed else None for d in docs]


def xtvqa_row(doc: Document, langs: tuple[str, ...]) -> dict[str, object]:
    """The XT-VQA JSONL row of a kept QA pair (``babelvlm.tasks.xtvqa`` reads it)."""
    m = doc.metadata
    row: dict[str, object] = {"dataset": "xpaperqa", "id": doc.id, "image": f"images/{doc.media[0].id}.png"}
    row.update({f"question_{lang}": m[f"question_{lang}"] for lang in langs if f"question_{lang}" in m})
    row.update(answers=[m["answer"]], source_lang=m["lang"], answer_type=m["answer_type"])
    row.update(paper=m["paper"], page=m["page"], confidence=m["confidence"], generator=m.get("generator"))
    return row


class XtvqaWriter(Step):
    """Writes the shard's rows to ``parts/NNNNN.jsonl`` and page images to ``images/`` (renamed into
    place when the shard ends); ``xpaperqa.merge_parts`` joins the parts into ``xtvqa.jsonl``."""

    name = "write"

    def __init__(self, out: str, langs: tuple[str, ...]) -> None:
        super().__init__()
        self.out, self.langs = out, langs

    def run_counted(self, data: Iterable[Document], rank: int, world_size: int) -> Iterator[Document]:
        parts, images = Path(self.out) / "parts", Path(self.out) / "images"
        parts.mkdir(parents=True, exist_ok=True)
        images.mkdir(parents=True, exist_ok=True)
        target = parts / f"{rank:05d}.jsonl"
        tmp = target.with_name(target.name + ".tmp")
        with tmp.open("w", encoding="utf-8") as handle:
            for doc in data:
                self.count(IN)
                self.count(KEPT)
                media = doc.media[0]
                image = images / f"{media.id}.png"
                if not image.exists() and media.media_bytes is not None:
                    image.with_suffix(".tmp").write_bytes(media.media_bytes)
                    os.replace(image.with_suffix(".tmp"), image)
                handle.write(json.dumps(xtvqa_row(doc, self.langs), ensure_ascii=False) + "\n")
        os.replace(tmp, target)
        return
        yield  # a writer emits nothing
