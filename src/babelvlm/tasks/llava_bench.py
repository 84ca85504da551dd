"""LLaVA-Bench (In-the-Wild) in English and Chinese (VisCPM's translation), as Parrot: Multilingual Visual
Instruction Tuning reports it (Appendix C.1, Table 4): a GPT-4-style judge scores the reference answer and the
model's answer 1-10 given the image's caption; per category (conv, detail, complex) the relative score is
100 x mean(model) / mean(reference), and the headline ``relative_score`` is the same ratio over every question
(LLaVA's "all"; ``relative_mean_of_categories`` beside it).

Data: VLMEvalKit TSVs (``index, question, caption, gpt4_ans, category, image``) or the Hugging Face export
(lmms-lab/llava-bench-in-the-wild parquet: ``question_id, question, caption, gpt_answer, category, image``),
one file per language: a file (or every file with ``llava`` in its name in a folder) whose name ends with
its language (``LLaVABench_zh.tsv``, ``llava_bench_cn.parquet``; none = English, or ``-T lang=zh``).

The judge is ``-T judge=<model>`` (protocol and repeats: ``babelvlm.tasks.judge_protocol``); its prompt and
parsing are ``babelvlm.metrics.judge.judge_heron``. Without a judge the judge metrics are reported as
skipped; a failed or unparseable judgement is excluded and counted, never a number.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from babelvlm.errors import ConfigError, DataError
from babelvlm.metrics.judge import JudgeFn, JudgeItem, heron_relative_scores, judge_heron
from babelvlm.schema import ImageRef, Sample, SampleScore, TaskResult
from babelvlm.tasks.base import LoadOptions, Task, TaskInfo, limit_evenly
from babelvlm.tasks.datafiles import ROW_SUFFIXES, Row, guarded, image_ref, iter_rows
from babelvlm.tasks.judge_protocol import JudgePool, JudgeSpec, add_repeat_summary, combine_repeats
from babelvlm.tasks.tsv import TsvReader, TsvRow, language_of_file

CATEGORIES = ("conv", "detail", "complex")
JUDGE_KEYS = ("judge_model", "judge_reference")


def language_files(data: Path, default_lang: str | None) -> dict[str, Path]:
    """Language -> file: ``data`` itself, or the files of the folder with ``llava`` in their name."""
    if not data.exists():
        raise DataError(
            "does not exist", file=str(data), fix="give the LLaVA-Bench TSV/parquet or its folder"
        )
    if data.is_file():
        return {language_of_file(data) or default_lang or "en": data}
    found: dict[str, Path] = {}
    for path in sorted(data.rglob("*")):
        if path.suffix.lower() not in (".tsv", *ROW_SUFFIXES) or "llava" not in path.name.lower():
            continue
        lang = language_of_file(path) or default_lang or "en"
        if lang in found:
            raise DataError(
                f"two files for language '{lang}': {found[lang].name} and {path.name}",
                file=str(data),
                fix="keep one file per language or pass the file itself",
            )
        found[lang] = path
    if not found:
        raise DataError(
            "holds no file with 'llava' in its name", file=str(data), fix="e.g. LLaVABench_zh.tsv"
        )
    return found


class LlavaBenchTask(Task):
    """LLaVA-Bench (In-the-Wild), en and zh; see the module docstring."""

    def __init__(self) -> None:
        self.info = TaskInfo(
            name="llava_bench_wild",
            description="LLaVA-Bench (In-the-Wild) en/zh: judge-relative score (conv, detail, complex)",
            paper="LLaVA-Bench (Liu et al., 2023), as in Parrot: Multilingual Visual Instruction Tuning, C.1",
            languages=("en", "zh"),
            formats=("VLMEvalKit LLaVABench TSV", "lmms-lab/llava-bench-in-the-wild parquet"),
            metrics=("relative_score", "judge_model", "judge_reference"),
            primary_metric="relative_score",
            matrix_axes=("lang", "output_lang"),
            generative=True,
        )
        self._judges = JudgePool()

    def load(self, options: LoadOptions) -> Iterator[Sample]:
        """Every question of every language file (``--langs`` picks languages)."""
        if options.data is None:
            raise ConfigError("llava_bench_wild needs --data (the LLaVA-Bench TSV/parquet, or a folder)")
        spec = JudgeSpec.parse(options.extra)
        judge = spec.meta() if spec is not None else {}
        files = language_files(options.data, options.extra.get("lang"))
        order = [lang for lang in (options.langs or sorted(files)) if lang in files]
        samples = (s for lang in order for s in self._file(files[lang], lang, options, judge))
        yield from samples if options.limit is None else limit_evenly(samples, options.limit)

    def _file(self, path: Path, lang: str, options: LoadOptions, judge: dict[str, Any]) -> Iterator[Sample]:
        if path.suffix.lower() == ".tsv":
            reader = TsvReader(
                path, ("question", "gpt4_ans", "category"), options.skip_bad_rows, images_dir=options.images
            )

            def from_tsv(row: TsvRow) -> Sample:
                fields = (
                    row.require("index"),
                    row.require("question"),
                    row.require("gpt4_ans"),
                    row.get("caption") or "",
                    row.require("category"),
                )
                return self._sample(
                    fields,
                    lang,
                    row.images,
                    judge,
                    lambda m, f: row.error(f, m, "use conv, detail or complex"),
                )

            yield from reader.parse(from_tsv)
            return

        def from_hub(row: Row) -> list[Sample]:
            fields = (
                row.text("question_id", required=False) or str(row.number - 1),
                row.text("question") or "",
                row.text("gpt_answer") or "",
                row.text("caption", required=False) or "",
                row.text("category") or "",
            )
            return [
                self._sample(
                    fields,
                    lang,
                    [image_ref(row, "image")],
                    judge,
                    lambda m, f: row.error(f, m, "use conv, detail or complex"),
                )
            ]

        yield from guarded(iter_rows(path), from_hub, options.skip_bad_rows)

    def _sample(
        self,
        fields: tuple[str, str, str, str, str],
        lang: str,
        images: list[ImageRef],
        judge: dict[str, Any],
        error: Callable[[str, str], DataError],
    ) -> Sample:
        index, question, answer, caption, raw_category = fields
        category = _category(raw_category)
        if category is None:
            raise error(f"'{fields[4]}' is not a LLaVA-Bench category (conv, detail, complex)", "category")
        return Sample(
            id=f"{lang}/{index}",
            task=self.name,
            prompt=question,
            references=[answer],
            lang=lang,
            output_lang=lang,
            images=images,
            max_new_tokens=1024,
            meta={"category": category, "context": caption, **judge},
        )

    def score(self, sample: Sample, prediction: str) -> dict[str, float | None]:
        """The judge's model and reference scores (1-10) per run, when a judge is set."""
        spec = JudgeSpec.from_meta(sample.meta)
        if spec is None:
            return {}
        return combine_repeats([_judged(judge, sample, prediction) for judge in self._judges.judges(spec)])

    def prepare_scoring(self, samples: list[Sample], predictions: dict[str, str]) -> None:
        """Every judgement of a run in one batched call per judge run (``score`` then reads the cache)."""
        by_spec: dict[JudgeSpec, list[JudgeItem]] = defaultdict(list)
        for sample in samples:
            spec = JudgeSpec.from_meta(sample.meta)
            if spec is not None and sample.id in predictions:
                by_spec[spec].append(_item(sample, predictions[sample.id]))
        for spec, items in by_spec.items():
            for judge in self._judges.judges(spec):
                judge_heron(judge, items)

    def aggregate(self, scored: list[SampleScore], n_samples: int) -> TaskResult:
        """Relative scores per language and category, pooled headline, judge status and repeats."""
        result = super().aggregate(scored, n_samples)
        ok = [s for s in scored if not s.failed]
        spec = next((sp for s in ok if (sp := JudgeSpec.from_meta(s.meta)) is not None), None)
        if spec is None:
            result.extra["judge"] = "skipped: no judge given (-T judge=<model>)"
            result.n_excluded = {k: v for k, v in result.n_excluded.items() if k not in JUDGE_KEYS}
            return result
        tables: dict[str, Any] = {}
        for lang in sorted({s.lang for s in ok}):
            tables[lang] = relative_scores([s for s in ok if s.lang == lang])
            for name in ("relative_score", "relative_mean_of_categories"):
                if tables[lang][name] is not None:
                    result.by_language.setdefault(lang, {})[name] = tables[lang][name]
        pooled = relative_scores(ok)
        for name in ("relative_score", "relative_mean_of_categories"):
            if pooled[name] is not None:
                result.scores[name] = pooled[name]
        result.extra["llava_bench"] = {"by_language": tables, "all": pooled}
        failed = sum(s.scores.get("judge_model") is None for s in ok)
        result.extra["judge"] = {
            "model": spec.model,
            "failed_judgements": failed,
            "temperature": 0.0,
            "seed": spec.seed,
            "repeats": spec.repeats,
        }
        add_repeat_summary(result, ok, spec.repeats, lambda s, r: _run_scores(s, f"@{r}"))
        return result


def _category(value: str) -> str | None:
    text = re.sub(r"[^a-z]", "", value.lower())
    aliases = {"conversation": "conv", "detaileddescription": "detail", "complexreasoning": "complex"}
    text = aliases.get(text, text)
    return text if text in CATEGORIES else None


def _item(sample: Sample, prediction: str) -> JudgeItem:
    """What the judge sees: caption as context, question, reference (Assistant 1) and answer."""
    return JudgeItem(
        id=sample.id,
        question=sample.prompt,
        reference=sample.references[0],
        prediction=prediction,
        context=str(sample.meta.get("context", "")),
        category=str(sample.meta["category"]),
    )


def _judged(judge: JudgeFn, sample: Sample, prediction: str) -> dict[str, float | None]:
    verdict = judge_heron(judge, [_item(sample, prediction)])[0]
    if not verdict.ok:
        return {"judge_model": None, "judge_reference": None}
    return {"judge_model": verdict.score, "judge_reference": verdict.reference_score}


def relative_scores(scored: list[SampleScore], run: str = "") -> dict[str, Any]:
    """Per category (``metrics.judge.heron_relative_scores``) and over every judged question (LLaVA's
    "all" = 100 x sum(model) / sum(reference)); ``run`` = "@r" reads one judge run."""
    from babelvlm.metrics.judge import Judgement

    verdicts = [
        Judgement(
            s.sample_id,
            s.scores.get(f"judge_model{run}"),
            None if s.scores.get(f"judge_model{run}") is not None else "failed judgement",
            category=str(s.meta.get("category")),
            reference_score=s.scores.get(f"judge_reference{run}"),
        )
        for s in scored
    ]
    table = heron_relative_scores(verdicts)
    pairs = [(v.score, v.reference_score) for v in verdicts if v.ok and v.reference_score is not None]
    total_ref = sum(r for _, r in pairs if r is not None)
    return {
        "relative_score": 100.0 * sum(m for m, _ in pairs if m is not None) / total_ref
        if total_ref
        else None,
        "relative_mean_of_categories": table["overall"],
        "categories": table["categories"],
        "missing_categories": table["missing_categories"],
        "n_failed": table["n_failed"],
    }


def _run_scores(scored: list[SampleScore], run: str) -> dict[str, float | None]:
    table = relative_scores(scored, run)
    return {
        "relative_score": table["relative_score"],
        "relative_mean_of_categories": table["relative_mean_of_categories"],
    }


TASKS: list[Task] = [LlavaBenchTask()]
