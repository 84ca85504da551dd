"""The Japanese benchmarks of seed 002 (SPEC 3), from their public Hugging Face files (parquet, or the
same rows as JSON/JSONL; images as HF image structs ``{"bytes", "path"}`` or paths):

- ``heron_bench`` (Japanese-Heron-Bench): ``question_id, image, category (conv|detail|complex), text
  (or input_text / question), context, answer`` where ``answer`` is a string or a dict model -> answer
  (``-T reference_model=gpt-4-0125-preview`` picks one). A judge scores the reference and the model
  answer 1-10; per category the relative score is 100 x mean(model) / mean(reference); the headline
  ``heron_relative`` is the mean of the three categories.
- ``ja_vlm_bench_in_the_wild`` (SakanaAI/JA-VLM-Bench-In-the-Wild): ``image, question, answer``
  (id = ``question_id`` if present, else the 0-based row position, as llm-jp-eval-mm numbers them).
- ``ja_vg_vqa_500`` (SakanaAI/JA-VG-VQA-500): ``image_id, image, qas: [{qa_id, question, answer}]``,
  one sample per QA (id = ``qa_id``).

The last two are scored with ROUGE-L (MeCab tokens, NFKC, emoji removed) and a 1-5 judge (seed 002
Table 8 prompt, score parsed from "Score: X"). The judge is any model name given as
``-T judge=<model>`` (loaded with ``babelvlm.models.registry.load_model`` and wrapped as a
``babelvlm.models.model_judge.ModelJudge``); prompts and parsing come from ``babelvlm.metrics.judge``.
Without a judge the judge metrics are reported as skipped, never as a number; an unparseable or failed
judgement is None for that sample (excluded, counted).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from babelvlm.errors import ConfigError
from babelvlm.metrics.judge import HERON_CATEGORIES, JudgeFn, JudgeItem
from babelvlm.schema import Sample, SampleScore, TaskResult
from babelvlm.tasks.base import LoadOptions, Task, TaskInfo, limit_evenly
from babelvlm.tasks.datafiles import Row, guarded, image_ref, iter_rows
from babelvlm.tasks.judge_protocol import JudgePool, JudgeSpec, add_repeat_summary, combine_repeats, run_means

PAPER = "LLM-jp-3 VILA: Japanese multimodal resources and benchmarks"
DEFAULT_REFERENCE_MODEL = "gpt-4-0125-preview"
JUDGE_KEYS = ("judge_score", "judge_model", "judge_reference")


class JapaneseTask(Task):
    """One of the three Japanese benchmarks (``kind`` = heron | wild | vgvqa)."""

    def __init__(self, kind: str, info: TaskInfo) -> None:
        self.kind, self.info = kind, info
        self._judges = JudgePool()

    def load(self, options: LoadOptions) -> Iterator[Sample]:
        """Stream the rows; one sample per question (per QA for JA-VG-VQA-500)."""
        if options.data is None:
            raise ConfigError(f"{self.name} needs --data (the public parquet/JSON file or folder)")
        if options.langs is not None and "ja" not in options.langs:
            return
        spec = JudgeSpec.parse(options.extra)
        judge = spec.meta() if spec is not None else {}
        reference_model = options.extra.get("reference_model", DEFAULT_REFERENCE_MODEL)
        builders = {"heron": self._heron, "wild": self._wild, "vgvqa": self._vgvqa}
        build = builders[self.kind]
        samples = guarded(
            iter_rows(options.data), lambda row: build(row, judge, reference_model), options.skip_bad_rows
        )
        yield from (samples if options.limit is None else limit_evenly(samples, options.limit))

    def _sample(self, key: str, prompt: str, refs: list[str], row: Row, meta: dict[str, Any]) -> Sample:
        return Sample(
            id=key, task=self.name, prompt=prompt, references=refs, lang="ja", output_lang="ja",
            images=[image_ref(row, "image")], max_new_tokens=64 if self.kind == "vgvqa" else 256, meta=meta,
        )  # fmt: skip

    def _heron(self, row: Row, judge: dict[str, Any], reference_model: str) -> list[Sample]:
        question = _first_text(row, ("text", "input_text", "question"))
        category = (row.text("category") or "").lower()
        if category not in HERON_CATEGORIES:
            raise row.error(
                "category", f"'{category}' is not a Heron-Bench category", "use conv, detail or complex"
            )
        answer = row.fields.get("answer")
        if isinstance(answer, dict):
            if reference_model not in answer and len(answer) != 1:
                raise row.error(
                    "answer",
                    f"no answer by '{reference_model}' (has {sorted(answer)})",
                    "-T reference_model=...",
                )
            answer = answer.get(reference_model, next(iter(answer.values())))
        if not isinstance(answer, str) or not answer.strip():
            raise row.error("answer", f"expected the reference answer text, got {answer!r}", "add the answer")
        meta = {"category": category, "context": str(row.fields.get("context") or ""), **judge}
        return [self._sample(str(row.text("question_id")), question, [answer], row, meta)]

    def _wild(self, row: Row, judge: dict[str, Any], reference_model: str) -> list[Sample]:
        key = row.text("question_id", required=False) or str(row.number - 1)
        question, answer = row.text("question") or "", row.text("answer") or ""
        return [self._sample(key, question, [answer], row, dict(judge))]

    def _vgvqa(self, row: Row, judge: dict[str, Any], reference_model: str) -> list[Sample]:
        qas = row.fields.get("qas")
        if not isinstance(qas, list) or not qas:
            raise row.error(
                "qas", f"expected a list of {{qa_id, question, answer}}, got {qas!r}", "use the public file"
            )
        samples = []
        for index, qa in enumerate(qas):
            fields = qa if isinstance(qa, dict) else {}
            qa_row = Row(row.file, row.number, dict(row.fields) | fields)
            if not all(isinstance(fields.get(k), str | int) for k in ("qa_id", "question", "answer")):
                raise row.error(
                    f"qas[{index}]", f"expected qa_id, question and answer, got {qa!r}", "fix the QA"
                )
            samples.append(self._sample(
                str(fields["qa_id"]), str(fields["question"]), [str(fields["answer"])], qa_row,
                {**judge, "image_id": row.fields.get("image_id")},
            ))  # fmt: skip
        return samples

    # ---------------------------------------------------------------------------------------- score
    def score(self, sample: Sample, prediction: str) -> dict[str, float | None]:
        """ROUGE-L (ja) for the VQA sets; judge scores when a judge is set (None = failed judgement)."""
        from babelvlm.metrics import get_metric

        scores: dict[str, float | None] = {}
        if self.kind != "heron":
            scores["rouge_l"] = get_metric("rouge_l")(prediction, sample.references, lang="ja")
        spec = JudgeSpec.from_meta(sample.meta)
        if spec is not None:
            per_run = [self._judge_scores(judge, sample, prediction) for judge in self._judges.judges(spec)]
            scores.update(combine_repeats(per_run))
        return scores

    def prepare_scoring(self, samples: list[Sample], predictions: dict[str, str]) -> None:
        """Send every judgement of the run in one batched, concurrent call (``score`` then hits the
        cache), instead of one judge call per sample."""
        from babelvlm.metrics.judge import judge_heron, judge_table8

        by_judge: dict[JudgeSpec, list[JudgeItem]] = {}
        for sample in samples:
            spec = JudgeSpec.from_meta(sample.meta)
            if spec is not None and sample.id in predictions:
                by_judge.setdefault(spec, []).append(_judge_item(sample, predictions[sample.id]))
        for spec, items in by_judge.items():
            for judge in self._judges.judges(spec):  # one batched call per run
                (judge_heron if self.kind == "heron" else judge_table8)(judge, items)

    def evidence(self, sample: Sample, prediction: str) -> dict[str, str]:
        """The judge's own text (its rationale and verdict) when a judge scored this sample (cached)."""
        from babelvlm.metrics.judge import judge_heron, judge_table8

        name = sample.meta.get("judge")
        if not name:
            return {}
        judge, item = self._judge(str(name)), _judge_item(sample, prediction)
        verdict = (judge_heron if self.kind == "heron" else judge_table8)(judge, [item])[0]
        return {"judge rationale": verdict.raw} if verdict.raw else {}

    def _judge_scores(self, judge: JudgeFn, sample: Sample, prediction: str) -> dict[str, float | None]:
        from babelvlm.metrics.judge import judge_heron, judge_table8

        item = _judge_item(sample, prediction)
        if self.kind == "heron":
            verdict = judge_heron(judge, [item])[0]
            if not verdict.ok:
                return {"judge_model": None, "judge_reference": None}
            return {"judge_model": verdict.score, "judge_reference": verdict.reference_score}
        verdict = judge_table8(judge, [item])[0]
        return {"judge_score": verdict.score if verdict.ok else None}

    def _judge(self, name: str) -> JudgeFn:
        """Run 0's judge of the model ``name`` (the loaded spec's, with its options)."""
        return self._judges.first(name)

    # ------------------------------------------------------------------------------------ aggregate
    def aggregate(self, scored: list[SampleScore], n_samples: int) -> TaskResult:
        """Default means; Heron-Bench relative scores per category and their mean; judge status."""
        from babelvlm.tasks.aggregate import default_aggregate

        result = default_aggregate(self.info, scored, n_samples)
        ok = [s for s in scored if not s.failed]
        judges = sorted({str(s.meta["judge"]) for s in ok if s.meta.get("judge")})
        if not judges:
            result.extra["judge"] = "skipped: no judge given (-T judge=<model>)"
            result.n_excluded = {k: v for k, v in result.n_excluded.items() if k not in JUDGE_KEYS}
            return result
        keys = ("judge_model",) if self.kind == "heron" else ("judge_score",)
        failed = sum(s.scores.get(keys[0]) is None for s in ok)
        result.extra["judge"] = {"model": ",".join(judges), "failed_judgements": failed}
        if self.kind == "heron":
            table = heron_relative(ok)
            result.extra["heron"] = table
            if table["overall"] is not None:
                result.scores["heron_relative"] = table["overall"]
            else:  # a category without judgements: the headline is undefined for every sample, counted
                result.n_excluded["heron_relative"] = len(ok)
                result.extra["heron"]["overall_undefined"] = (
                    f"no judgement for {', '.join(table['missing_categories'])}: the headline needs all 3"
                )
        spec = next(spec for s in ok if (spec := JudgeSpec.from_meta(s.meta)) is not None)
        result.extra["judge"].update(temperature=0.0, seed=spec.seed, repeats=spec.repeats)
        run_metric = _heron_run if self.kind == "heron" else run_means(("judge_score",))
        add_repeat_summary(result, ok, spec.repeats, run_metric)
        return result


def _heron_run(scored: list[SampleScore], run: int) -> dict[str, float | None]:
    """Heron-Bench's headline from run ``run``'s judgements."""
    return {"heron_relative": heron_relative(scored, f"@{run}")["overall"]}


def heron_relative(scored: list[SampleScore], run: str = "") -> dict[str, Any]:
    """Per category 100 x mean(model) / mean(reference) judge scores and their mean (``overall``), via
    ``metrics.judge.heron_relative_scores`` (failed judgements are dropped and counted); ``run`` = "@r"
    reads one run's judgements."""
    from babelvlm.metrics.judge import Judgement, heron_relative_scores

    verdicts = [
        Judgement(
            s.sample_id,
            s.scores.get(f"judge_model{run}"),
            None if s.scores.get(f"judge_model{run}") is not None else "failed judgement",
            category=str(s.meta.get("category", "")), reference_score=s.scores.get(f"judge_reference{run}"),
        )
        for s in scored
    ]  # fmt: skip
    return heron_relative_scores(verdicts)


def _first_text(row: Row, fields: tuple[str, ...]) -> str:
    for name in fields:
        if row.text(name, required=False):
            return str(row.text(name))
    raise row.error(fields[0], f"no question (looked for {', '.join(fields)})", "add the question text")


def _info(name: str, description: str, metrics: tuple[str, ...], primary: str, fmt: str) -> TaskInfo:
    return TaskInfo(
        name=name, description=description, paper=PAPER, languages=("ja",), formats=(fmt, "JSON/JSONL"),
        metrics=metrics, primary_metric=primary, matrix_axes=("lang", "output_lang"), generative=True,
    )  # fmt: skip


TASKS: list[Task] = [
    JapaneseTask("heron", _info(
        "heron_bench", "Japanese Heron-Bench: judge-relative scores (conv, detail, complex)",
        ("heron_relative", "judge_model", "judge_reference"), "heron_relative", "Heron-Bench parquet",
    )),
    JapaneseTask("wild", _info(
        "ja_vlm_bench_in_the_wild", "JA-VLM-Bench-In-the-Wild: ROUGE-L (ja) + LLM judge 1-5",
        ("rouge_l", "judge_score"), "rouge_l", "SakanaAI/JA-VLM-Bench-In-the-Wild parquet",
    )),
    JapaneseTask("vgvqa", _info(
        "ja_vg_vqa_500", "JA-VG-VQA-500: ROUGE-L (ja) + LLM judge 1-5",
        ("rouge_l", "judge_score"), "rouge_l", "SakanaAI/JA-VG-VQA-500 parquet",
    )),
]  # fmt: skip


def _judge_item(sample: Sample, prediction: str) -> JudgeItem:
    """What the judge sees for one sample (the same item, hence the same cached prompt, every time)."""
    return JudgeItem(
        id=sample.id, question=sample.prompt, reference=sample.references[0], prediction=prediction,
        context=str(sample.meta.get("context", "")), category=str(sample.meta.get("category", "")),
    )  # fmt: skip
