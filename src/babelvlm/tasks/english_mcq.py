"""The shared loader and scorer of the English multiple-choice benchmarks Parrot also reports (MMStar,
SEED-Bench image, RealWorldQA): one VLMEvalKit TSV, or the Hugging Face parquet / JSON export of the
benchmark read row by row, each benchmark module giving the adapter that maps its Hub columns.

A row becomes one sample: the VLMEvalKit MCQ prompt (``mcq_prompt``), the answer letter as reference, and
``category`` / ``l2_category`` in meta. Scoring: ``accuracy`` of the extracted option letter (an answer no
option can be read from is wrong and counted in ``extracted``, never guessed); a row without options (some
RealWorldQA questions ask for a word or number) is scored by normalised exact match. Results add accuracy
by category (and l2-category) in ``extra['breakdowns']``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from babelvlm.errors import ConfigError, DataError
from babelvlm.schema import Sample, SampleScore, TaskResult
from babelvlm.tasks.base import LoadOptions, Task, TaskInfo, limit_evenly
from babelvlm.tasks.breakdown import add_breakdown, attr_key, meta_key
from babelvlm.tasks.datafiles import Row, guarded, iter_rows
from babelvlm.tasks.mcq_prompts import mcq_prompt
from babelvlm.tasks.mmbench import mcq_sample, score_choice
from babelvlm.tasks.tsv import TsvReader

HubAdapter = Callable[[Row, str], "McqFields | None"]
"""Maps one Hub row (and the task name) to the fields of its sample; None = not part of the benchmark
(e.g. SEED-Bench's video questions)."""


@dataclass
class McqFields:
    """What a sample needs from one row, whatever the file format."""

    index: str
    question: str
    options: dict[str, str]
    answer: str
    category: str | None = None
    l2_category: str | None = None
    hint: str | None = None


def fields_sample(row: Row, fields: McqFields, task: str, image_field: str = "image") -> Sample:
    """The sample of an adapted Hub row; DataError when the answer is not one of its options."""
    from babelvlm.tasks.datafiles import image_ref

    if fields.options and fields.answer not in fields.options:
        raise row.error(
            "answer",
            f"is '{fields.answer}' but the options are {sorted(fields.options)}",
            "give the letter of the right option",
        )
    prompt = (
        mcq_prompt(fields.question, fields.options, "en", fields.hint) if fields.options else fields.question
    )
    return Sample(
        id=f"en/{fields.index}",
        task=task,
        prompt=prompt,
        references=[fields.answer],
        lang="en",
        images=[image_ref(row, image_field)],
        options=fields.options or None,
        max_new_tokens=16,
        meta={
            "index": fields.index,
            "question": fields.question,
            "category": fields.category,
            "l2_category": fields.l2_category,
        },
    )


@dataclass
class EnglishMcqTask(Task):
    """One English MCQ benchmark from its VLMEvalKit TSV or its Hub export (see the module docstring)."""

    info: TaskInfo
    adapter: HubAdapter
    image_field: str = "image"

    def load(self, options: LoadOptions) -> Iterator[Sample]:
        """Every row of the file (or folder), in file order; ``--limit`` keeps the first N."""
        if options.data is None:
            raise ConfigError(
                f"task {self.name} needs --data (its VLMEvalKit TSV or Hub parquet file/folder)"
            )
        if options.langs is not None and "en" not in options.langs:
            return
        if not options.data.exists():
            raise DataError(
                "does not exist", file=str(options.data), fix="give the benchmark's file or folder"
            )
        samples = self._tsv(options) if _is_tsv(options.data) else self._hub(options)
        yield from samples if options.limit is None else limit_evenly(samples, options.limit)

    def _tsv(self, options: LoadOptions) -> Iterator[Sample]:
        assert options.data is not None
        files = [options.data] if options.data.is_file() else sorted(options.data.rglob("*.tsv"))
        for path in files:
            reader = TsvReader(
                path, ("question", "answer", "A", "B"), options.skip_bad_rows, images_dir=options.images
            )
            yield from reader.parse(lambda row: mcq_sample(row, self.name, "en"))

    def _hub(self, options: LoadOptions) -> Iterator[Sample]:
        assert options.data is not None

        def build(row: Row) -> list[Sample]:
            fields = self.adapter(row, self.name)
            return [] if fields is None else [fields_sample(row, fields, self.name, self.image_field)]

        return guarded(iter_rows(options.data), build, options.skip_bad_rows)

    def score(self, sample: Sample, prediction: str) -> dict[str, float | None]:
        """Option-letter accuracy (``extracted`` = 0: no option readable); open questions: exact match."""
        if sample.options:
            return score_choice(sample, prediction)
        from babelvlm.metrics import get_metric

        return {"accuracy": get_metric("exact_match")(prediction, sample.references, lang="en")}

    def aggregate(self, scored: list[SampleScore], n_samples: int) -> TaskResult:
        """Means, plus accuracy by category and by l2-category (where the data has them)."""
        result = super().aggregate(scored, n_samples)
        for name, column in (("category", "category"), ("l2-category", "l2_category")):
            axes = ((name, meta_key(column)), ("language", attr_key("lang")))
            add_breakdown(result, name, scored, axes, ("accuracy",))
        return result


def _is_tsv(path: Path) -> bool:
    if path.is_file():
        return path.suffix.lower() == ".tsv"
    return any(path.rglob("*.tsv"))


def split_options(text: str, pattern: str, one_line: bool = False) -> tuple[str, dict[str, str]]:
    """Split a question whose options are written inside it (``pattern`` finds each letter marker, group 1
    the letter) into the text before the first marker and the options in order; ``one_line`` ends each
    option at its line's end (an instruction may follow the last one). Fewer than 2 markers: no options."""
    markers = list(re.finditer(pattern, text))
    if len(markers) < 2:
        return text.strip(), {}
    options: dict[str, str] = {}
    for k, marker in enumerate(markers):
        end = markers[k + 1].start() if k + 1 < len(markers) else len(text)
        option = text[marker.end() : end]
        if one_line:
            option = option.split("\n", 1)[0]
        options[marker.group(1)] = option.strip().rstrip(",").strip()
    return text[: markers[0].start()].strip(), options
