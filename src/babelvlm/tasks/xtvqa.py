"""XT-VQA (seed 001): text-rich VQA where the question language differs from the image-text language.

Data, XT-VQA JSONL (also ``.json`` list or ``.parquet``), one line per question::

    {"dataset": "textvqa", "id": "34602", "image": "images/34602.jpg",
     "question_en": "what is the brand?", "question_zh": "这是什么品牌？",
     "question_fr": "quelle est la marque ?",
     "answers": ["nike", "nike", ...], "source_lang": "en", "answer_type": "extractive"}

- ``dataset``: textvqa | docvqa | chartqa | ocrvqa | xpaperqa (scored with vqa_accuracy, anls,
  relaxed_accuracy, exact_match, token_f1 respectively; SPEC 2).
- ``image``: a path, relative to the JSONL file (or to ``--images`` when given).
- ``question_<lang>``: the same question in each language the file provides (any registry language; the
  paper uses en zh fr, en zh for XPaperQA, and 8 languages for the MI analysis).
- ``answers``: one answer set, in ``source_lang`` (the language of the text in the image).
- ``answer_type`` (optional): yes-no | extractive | abstractive (chooses the answer-format instruction).

Or the original datasets' question files plus a translations file (``-T translations=PATH``; see
``babelvlm.tasks.xtvqa_sources``); the format is detected, or given as ``-T format=textvqa``.

One sample per (question, question language): the matrix is question language x image-text language.
With ``--limit N`` the default (``-T sample=random``) is the papers' protocol: a random subset of whole
questions seeded by ``--seed`` (every language version of each, at most N samples); ``-T sample=first``
takes the first questions round-robin over languages instead. Prompts ask for the answer in L_src
(``-T answer_language=source``, the default; ``none`` leaves it out). ``-T translator=<model name>``
translates cross-lingual answers to L_src before scoring (the paper's protocol); results state which
was used. ``extra["gap_table"]`` holds the absolute and relative drop (src - tgt, (src - tgt) / src) per
dataset and overall.
"""

from __future__ import annotations

import json
import random
from collections import defaultdict
from collections.abc import Iterable, Iterator
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from babelvlm.errors import ConfigError, ModelError
from babelvlm.langs import language_name
from babelvlm.models.base import ModelAPI
from babelvlm.schema import Request, Sample, SampleScore, TaskResult
from babelvlm.tasks.base import LoadOptions, Task, TaskInfo, limit_evenly
from babelvlm.tasks.breakdown import add_breakdown, breakdown, meta_key
from babelvlm.tasks.datafiles import Row, guarded, image_ref, iter_rows
from babelvlm.tasks.multiexpart_prompts import answer_in
from babelvlm.tasks.xtvqa_sources import FORMATS, detect_format, original_rows

DATASET_METRICS = {
    "textvqa": "vqa_accuracy",
    "docvqa": "anls",
    "chartqa": "relaxed_accuracy",
    "ocrvqa": "exact_match",
    "xpaperqa": "token_f1",
}
DEFAULT_LANGS = ("en", "zh", "fr")
XPAPERQA_LANGS = ("en", "zh")
_TYPES = {"yes-no": "yes_no", "yes_no": "yes_no", "yesno": "yes_no", "abstractive": "brief"}


@lru_cache(maxsize=1)
def _instructions() -> dict[str, dict[str, str]]:
    text = resources.files("babelvlm.tasks").joinpath("data/xtvqa_prompts.json").read_text("utf-8")
    data: dict[str, dict[str, str]] = json.loads(text)
    return data


def build_prompt(
    question: str, question_lang: str, source_lang: str, answer_type: str, ask_source: bool
) -> str:
    """Question, the answer-format instruction in the question language, and (cross-lingual, when
    ``ask_source``) "Answer in <L_src>." written in the question language."""
    kind = _TYPES.get(answer_type.lower(), "short")
    instruction = _instructions()[kind].get(question_lang)
    if instruction is None:
        raise ConfigError(
            f"XT-VQA has no prompt in '{question_lang}' (languages: {', '.join(_instructions()['short'])})"
        )
    prompt = f"{question.strip()}\n{instruction}"
    if ask_source and question_lang != source_lang:
        prompt += ("" if question_lang in ("ja", "zh") else " ") + _answer_in(question_lang, source_lang)
    return prompt


def _answer_in(question_lang: str, source_lang: str) -> str:
    """ "Answer in <L_src>." in the question language: XT-VQA's own sentences for the languages outside
    MultiExpArt's table (pt ar tr ko), else that table's."""
    extra: dict[str, dict[str, str]] = json.loads(json.dumps(_instructions().get("answer_in", {})))
    sentence = extra.get(question_lang, {}).get(source_lang)
    return sentence if sentence is not None else answer_in(question_lang, source_lang)


class XTVQATask(Task):
    """XT-VQA across its datasets; see the module docstring for the data and options."""

    def __init__(self) -> None:
        self.info = TaskInfo(
            name="xtvqa",
            description="XT-VQA: cross-lingual text-rich VQA (OCRVQA, TextVQA, ChartQA, DocVQA, XPaperQA)",
            paper="Cross-Lingual Text-Rich Visual Comprehension: An Information Theory Perspective (XT-VQA)",
            languages=DEFAULT_LANGS,
            formats=("XT-VQA JSONL", "TextVQA/DocVQA/ChartQA/OCR-VQA question JSON + translations JSONL"),
            metrics=("score", *dict.fromkeys(DATASET_METRICS.values())),
            primary_metric="score",
            matrix_axes=("lang", "image_lang"),
            generative=False,
        )
        self._translators: dict[str, ModelAPI] = {}

    def load(self, options: LoadOptions) -> Iterator[Sample]:
        """One sample per question language of every row (``--langs`` picks the question languages)."""
        if options.data is None:
            raise ConfigError("xtvqa needs --data (an XT-VQA JSONL, or an original question file)")
        opts = _Options.parse(options)
        rows = self._rows(options, opts)
        samples = guarded(rows, lambda row: self._build(row, options, opts), options.skip_bad_rows)
        if options.limit is None:
            yield from samples
        elif opts.sample == "random":  # the paper's protocol: a seeded random subset of questions
            yield from random_questions(samples, options.limit, options.seed)
        else:
            yield from limit_evenly(samples, options.limit, key="lang")

    def _rows(self, options: LoadOptions, opts: _Options) -> Iterator[Row]:
        assert options.data is not None
        fmt = opts.format
        if fmt is None and options.data.is_file() and options.data.suffix == ".json":
            from babelvlm.tasks.datafiles import json_document

            fmt = detect_format(json_document(options.data))
        if fmt in FORMATS:
            return original_rows(options.data, fmt, opts.translations, options.images)
        return iter_rows(options.data)

    def _build(self, row: Row, options: LoadOptions, opts: _Options) -> list[Sample]:
        dataset = (row.text("dataset") or "").lower().replace("-", "_").split("_")[0]
        if dataset not in DATASET_METRICS:
            raise row.error(
                "dataset", f"unknown dataset '{dataset}'", f"use one of {', '.join(DATASET_METRICS)}"
            )
        source = row.text("source_lang") or ""
        answers = row.text_list("answers")
        answer_type = row.text("answer_type", required=False) or "extractive"
        image = image_ref(row, "image", options.images)
        key = row.text("id")
        samples = []
        for q in question_languages(row, dataset, opts, options.langs):
            question = row.text(f"question_{q}") or ""
            samples.append(Sample(
                id=f"{dataset}:{key}:{q}", task=self.name, lang=q, image_lang=source, references=answers,
                output_lang=source if opts.ask_source else None, images=[image],
                prompt=build_prompt(question, q, source, answer_type, opts.ask_source),
                max_new_tokens=128 if dataset == "xpaperqa" else 32,
                meta={"dataset": dataset, "answer_type": answer_type, "translator": opts.translator,
                      "source_id": key},
            ))  # fmt: skip
        return samples

    def score(self, sample: Sample, prediction: str) -> dict[str, float | None]:
        """The dataset's metric (``score`` and under its own name), against answers in L_src; with a
        translator, cross-lingual answers are translated to L_src first (a failed translation is a
        recorded failure)."""
        from babelvlm.metrics import get_metric

        dataset = str(sample.meta["dataset"])
        source = sample.image_lang or sample.lang
        translator = sample.meta.get("translator")
        if translator and sample.lang != source:
            prediction = self._translate(str(translator), prediction, source, sample)
        value = get_metric(DATASET_METRICS[dataset])(prediction, sample.references, lang=source)
        return {"score": value, DATASET_METRICS[dataset]: value}

    def prepare_scoring(self, samples: list[Sample], predictions: dict[str, str]) -> None:
        """With a translator, translate every cross-lingual answer in one batched, concurrent call
        (``score`` then hits the cache) instead of one call per sample."""
        by_model: dict[str, list[Request]] = {}
        for sample in samples:
            translator, source = sample.meta.get("translator"), sample.image_lang or sample.lang
            if translator and sample.lang != source and sample.id in predictions:
                request = _translation_request(predictions[sample.id], source, sample)
                by_model.setdefault(str(translator), []).append(request)
        for name, requests in by_model.items():
            self._translator(name).generate(requests)

    def _translator(self, name: str) -> ModelAPI:
        from babelvlm.models.aux_cache import load_aux_model

        if name not in self._translators:  # answers kept in the run store: a resumed run does not re-send
            self._translators[name] = load_aux_model(name)
        return self._translators[name]

    def _translate(self, name: str, text: str, target: str, sample: Sample) -> str:
        output = self._translator(name).generate([_translation_request(text, target, sample)])[0]
        if not output.ok or output.text is None:
            raise ModelError(f"translator {name} failed on {sample.id}: {output.error}")
        return output.text.strip()

    def aggregate(self, scored: list[SampleScore], n_samples: int) -> TaskResult:
        """Default means and question x image-text matrix, plus the gap table and the scoring protocol."""
        from babelvlm.tasks.aggregate import default_aggregate

        result = default_aggregate(self.info, scored, n_samples)
        ok = [s for s in scored if not s.failed]
        translators = {str(s.meta.get("translator")) for s in ok if s.meta.get("translator")}
        result.extra["gap_table"] = gap_table(ok)
        result.extra["answer_translation"] = ",".join(sorted(translators)) or "none"
        result.extra["answer_language_prompt"] = "source" if any(s.output_lang for s in ok) else "none"
        add_question_type_table(result, [s for s in ok if s.meta.get("dataset") == "xpaperqa"])
        return result


def question_languages(row: Row, dataset: str, opts: _Options, wanted: list[str] | None) -> list[str]:
    """The registry languages the file gives ``question_<lang>`` in: those of its first row, which every
    row must have too (the same question in every language; XPaperQA rows only need en and zh, its two
    paper languages), among ``--langs`` when given. A missing one is a DataError naming row and field."""
    from babelvlm.langs import LANGUAGES

    provided = [q for q in LANGUAGES if row.text(f"question_{q}", required=False)]
    if not provided:
        raise row.error("question_<lang>", "no question in any language", 'add e.g. "question_en"')
    if opts.languages is None:
        if len(provided) < 2 and wanted is None:  # XT-VQA is cross-lingual: one language is a mistake
            lacking = next(q for q in DEFAULT_LANGS if q not in provided)
            fix = "add question_<lang> fields or -T translations=PATH, or pick --langs"
            raise row.error(f"question_{lacking}", "is missing: the row has a question in one language", fix)
        opts.languages = tuple(provided)
    needed = [q for q in opts.languages if dataset != "xpaperqa" or q in XPAPERQA_LANGS]
    missing = [q for q in needed if q not in provided and (wanted is None or q in wanted)]
    if missing:
        raise row.error(f"question_{missing[0]}", "is missing (the file's first row has it)",
                        "give every row the same question languages")  # fmt: skip
    return [q for q in provided if wanted is None or q in wanted]


def question_of(sample: Sample) -> str:
    """The question a sample asks in one language: its id without the language (``dataset:id``)."""
    return sample.id.rsplit(":", 1)[0]


def random_questions(samples: Iterable[Sample], limit: int, seed: int) -> list[Sample]:
    """A seeded random subset of whole questions (every language version of each), at most ``limit``
    samples (at least one question), in file order: e.g. ``--limit 800`` on 8 languages = 100 questions,
    as the XT-VQA paper's 100 random ChartQA examples in 8 languages."""
    items = list(samples)
    groups: dict[str, list[int]] = defaultdict(list)
    for i, s in enumerate(items):
        groups[question_of(s)].append(i)
    order = sorted(groups)
    random.Random(seed).shuffle(order)
    kept: list[int] = []
    for name in order:
        if kept and len(kept) + len(groups[name]) > limit:
            break
        kept.extend(groups[name])
    return [items[i] for i in sorted(kept)]


def _paper_and_question(s: SampleScore) -> str | None:
    return None if s.image_lang is None else f"{s.image_lang} paper / {s.lang} question"


def add_question_type_table(result: TaskResult, xpaperqa: list[SampleScore]) -> None:
    """XPaperQA score by question type (yes-no / extractive / abstractive, and ``overall``) x paper language
    x question language, the layout of the XT-VQA paper's Table 3 (``extra['breakdowns']['xpaperqa']``)."""
    axes = (("question type", meta_key("answer_type")), ("paper / question language", _paper_and_question))
    add_breakdown(result, "xpaperqa", xpaperqa, axes, ("score",))
    table = result.extra.get("breakdowns", {}).get("xpaperqa", {}).get("table")
    if table is not None:
        table.update(breakdown(xpaperqa, lambda s: "overall", _paper_and_question, ("score",))["table"])


def _drop(src: float, tgt: float) -> dict[str, float | None]:
    return {"src": src, "score": tgt, "abs_drop": src - tgt, "rel_drop": (src - tgt) / src if src else None}


def _mean(values: list[float]) -> float:
    return sum(values) / len(values)


def _gaps(samples: list[SampleScore]) -> dict[str, Any]:
    """Drops of the cross-lingual samples against the same-language score *of their own image-text
    language*: with several source languages (XPaperQA: en and zh papers) a Chinese question on an English
    paper is compared with English questions on English papers, never with a pool of both."""
    mono: dict[str, list[float]] = defaultdict(list)
    cross: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for s in samples:
        value = s.scores.get("score")
        if value is not None:
            if s.lang == s.image_lang:
                mono[str(s.image_lang)].append(value)
            else:
                cross[s.lang].append((str(s.image_lang), value))
    out: dict[str, Any] = {"n": len(samples)}
    if not mono:
        out["note"] = "no same-language (question = image text) samples, so no gap"
        return out
    src = {lang: _mean(values) for lang, values in mono.items()}
    out["src"] = _mean([v for values in mono.values() for v in values])
    out["src_by_image_lang"] = dict(sorted(src.items()))
    paired = {q: [(src[img], v) for img, v in pairs if img in src] for q, pairs in sorted(cross.items())}
    unpaired = sum(len(cross[q]) - len(pairs) for q, pairs in paired.items())
    if unpaired:
        out["n_without_src"] = unpaired  # image languages with no same-language sample: no baseline
    out["by_question_lang"] = {
        q: _drop(_mean([b for b, _ in pairs]), _mean([v for _, v in pairs]))
        for q, pairs in paired.items()
        if pairs
    }
    everything = [pair for pairs in paired.values() for pair in pairs]
    if everything:
        out["cross"] = _drop(_mean([b for b, _ in everything]), _mean([v for _, v in everything]))
    return out


def gap_table(scored: list[SampleScore]) -> dict[str, Any]:
    """Per dataset and overall: the mean score with the question in L_src (``src``; per image-text
    language in ``src_by_image_lang``) and, per other question language, the score, its baseline ``src``
    (the same-language score of the image-text languages its samples show), absolute drop src - tgt and
    relative drop (src - tgt) / src."""
    by_dataset: dict[str, list[SampleScore]] = defaultdict(list)
    for s in scored:
        by_dataset[str(s.meta.get("dataset", "unknown"))].append(s)
    table = {name: _gaps(group) for name, group in sorted(by_dataset.items())}
    table["overall"] = _gaps(scored)
    return table


class _Options:
    """The task's ``-T`` options, validated."""

    def __init__(
        self, fmt: str | None, translations: Path | None, ask_source: bool, translator: str | None
    ) -> None:
        self.format, self.translations, self.ask_source, self.translator = (
            fmt,
            translations,
            ask_source,
            translator,
        )
        self.languages: tuple[str, ...] | None = None
        """The question languages of the file (its first row's), set while loading."""
        self.sample = "random"
        """How ``--limit`` picks: ``random`` (seeded by ``--seed``, whole questions) or ``first``."""

    @classmethod
    def parse(cls, options: LoadOptions) -> _Options:
        extra = options.extra
        fmt = extra.get("format") or None
        if fmt not in (None, "jsonl", *FORMATS):
            raise ConfigError(f"unknown XT-VQA format '{fmt}' (fix: -T format=jsonl|{'|'.join(FORMATS)})")
        sample = extra.get("sample", "random")
        if sample not in ("random", "first"):
            raise ConfigError(f"-T sample must be 'random' or 'first', got '{sample}'")
        answer_language = extra.get("answer_language", "source")
        if answer_language not in ("source", "none"):
            raise ConfigError(f"-T answer_language must be 'source' or 'none', got '{answer_language}'")
        translations = Path(extra["translations"]) if extra.get("translations") else None
        parsed = cls(
            None if fmt == "jsonl" else fmt,
            translations,
            answer_language == "source",
            extra.get("translator"),
        )
        parsed.sample = sample
        return parsed


TASKS: list[Task] = [XTVQATask()]


def _translation_request(text: str, target: str, sample: Sample) -> Request:
    """The request that translates one answer into ``target`` (its cache key is set by the aux cache)."""
    prompt = (
        f"Translate the following answer into {language_name(target)}. "
        f"Reply with the translation only.\n\n{text}"
    )
    return Request(
        key="", task=sample.task, sample_id=sample.id, prompt=prompt, max_new_tokens=64, lang=target
    )
