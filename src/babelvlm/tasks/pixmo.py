"""The Multi-PixMo translated evaluation suite (seed 004; SPEC 8): MMBench, ScienceQA, MME, POPE and AI2D
in English, French, German, Italian and Spanish, from VLMEvalKit-format TSVs, one per dataset and language.

Data: ``--data DIR`` holding e.g. ``MMBench_DEV_fr.tsv``, ``ScienceQA_VAL_de.tsv``, ``MME_it.tsv``,
``POPE_es.tsv``, ``AI2D_TEST_en.tsv`` (any folder depth; the first name token -- or the folder name --
is the dataset, the last language token the language), or one TSV. Same ``index`` across languages.

Tasks: ``pixmo_mmbench`` (circular where the TSV holds rotated copies), ``pixmo_scienceqa`` and
``pixmo_ai2d`` (MCQ accuracy), ``pixmo_mme`` (per category acc + acc+, perception / cognition totals),
``pixmo_pope`` (F1 headline, accuracy, precision, recall, yes-ratio of the predictions) and ``pixmo``
(all five from one folder). Each reports per-language scores and the gap to English in ``extra``.
MME questions carry their own "answer yes or no" instruction; POPE questions get it in the prompt's
language (``-T yn_instruction=true|false`` overrides).
"""

from __future__ import annotations

import base64
import hashlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from babelvlm.errors import ConfigError, DataError
from babelvlm.schema import ImageRef, Sample, SampleScore, TaskResult
from babelvlm.tasks.base import LoadOptions, Task, TaskInfo, limit_evenly
from babelvlm.tasks.mcq_aggregate import add_gap_to_english, mme_result, pope_result
from babelvlm.tasks.mcq_prompts import yes_no_prompt
from babelvlm.tasks.mmbench import TsvMcqTask, parse_bool
from babelvlm.tasks.tsv import TsvReader, TsvRow, find_language_files

log = logging.getLogger(__name__)

PIXMO_LANGS = ("en", "fr", "de", "it", "es")
_PAPER = "Multi-PixMo: multilingual training and evaluation resources (seed 004)"
_YES_NO = {"yes": "Yes", "no": "No"}


def yes_no_sample(row: TsvRow, task: str, lang: str, add_instruction: bool, id_prefix: str = "") -> Sample:
    """Build the Sample of one yes/no row (MME, POPE); DataError when ``answer`` is not Yes or No."""
    answer = row.require("answer")
    if answer.strip().lower() not in _YES_NO:
        raise row.error("answer", f"is '{answer}' but must be Yes or No", "write Yes or No")
    index = row.require("index")
    return Sample(
        id=f"{id_prefix}{lang}/{index}",
        task=task,
        prompt=yes_no_prompt(row.require("question"), lang, add_instruction),
        references=[_YES_NO[answer.strip().lower()]],
        lang=lang,
        images=row.images,
        max_new_tokens=16,
        meta={
            "index": index,
            "answer": _YES_NO[answer.strip().lower()],
            "category": row.get("category"),
            "image": image_identity(row),
        },
    )


def image_identity(row: TsvRow) -> str:
    """Which image a row asks about, for MME's per-image acc+: its ``image_path``, else the hash of its
    decoded image bytes (a TSV that repeats the base64 image on both rows of a pair, or refers to it by
    index, gives one identity), else the row's image key."""
    path = row.get("image_path")
    if path:
        return path
    if row.images:
        return "sha1:" + "+".join(_ref_digest(ref) for ref in row.images)
    return row.image_key


def _ref_digest(ref: ImageRef) -> str:
    if ref.b64 is not None:
        return _b64_digest(ref.b64)
    if ref.path is not None:
        return f"path:{ref.path}"
    return hashlib.sha1(ref.read_bytes()).hexdigest()


@lru_cache(maxsize=64)
def _b64_digest(b64: str) -> str:
    """SHA-1 of the decoded bytes (line breaks or padding differences in the base64 do not matter); cached
    because the rows of one image share one base64 string."""
    return hashlib.sha1(base64.b64decode(b64)).hexdigest()


def score_yes_no(sample: Sample, prediction: str) -> dict[str, float | None]:
    """accuracy (extracted yes/no equals the answer), ``extracted`` (0 when neither can be read: scored
    wrong, never guessed) and ``predicted_yes`` (1 when the prediction says yes; its mean is POPE's
    yes-ratio)."""
    from babelvlm.metrics import extract_yes_no

    said = extract_yes_no(prediction, sample.lang)
    return {
        "accuracy": 1.0 if said is not None and said == sample.references[0].lower() else 0.0,
        "extracted": 0.0 if said is None else 1.0,
        "predicted_yes": 1.0 if said == "yes" else 0.0,
    }


@dataclass
class TsvYesNoTask(Task):
    """A yes/no benchmark stored as one VLMEvalKit TSV per language (``kind``: ``mme`` or ``pope``)."""

    info: TaskInfo
    prefixes: tuple[str, ...]
    kind: str
    add_instruction: bool

    def load(self, options: LoadOptions) -> Iterator[Sample]:
        """Stream the samples of every language file (``--langs`` order, else by code)."""
        if options.data is None:
            raise ConfigError(f"task {self.name} needs --data (a folder of TSVs or one TSV)")
        flag = options.extra.get("yn_instruction")
        instruction = self.add_instruction if flag is None else parse_bool(flag, "yn_instruction")
        files = find_language_files(options.data, self.prefixes, options.langs, options.extra.get("lang"))
        stream = (
            sample
            for lang in (options.langs or sorted(files))
            if lang in files
            for sample in self._load_file(files[lang], lang, instruction, options)
        )
        yield from (stream if options.limit is None else limit_evenly(stream, options.limit))

    def _load_file(self, path: Path, lang: str, instruction: bool, options: LoadOptions) -> Iterator[Sample]:
        reader = TsvReader(path, ("question", "answer"), options.skip_bad_rows, images_dir=options.images)
        yield from reader.parse(lambda row: yes_no_sample(row, self.name, lang, instruction))

    def score(self, sample: Sample, prediction: str) -> dict[str, float | None]:
        """See ``score_yes_no``."""
        return score_yes_no(sample, prediction)

    def aggregate(self, scored: list[SampleScore], n_samples: int) -> TaskResult:
        """MME or POPE corpus scores per language and overall, with the gap to English."""
        result = super().aggregate(scored, n_samples)
        result = mme_result(result, scored) if self.kind == "mme" else pope_result(result, scored)
        return add_gap_to_english(result)


def _info(name: str, description: str, fmt: str, metrics: tuple[str, ...], primary: str) -> TaskInfo:
    return TaskInfo(
        name=name,
        description=description,
        paper=_PAPER,
        languages=PIXMO_LANGS,
        formats=(f"VLMEvalKit TSV per language: {fmt}",),
        metrics=metrics,
        primary_metric=primary,
    )


_MCQ_METRICS = ("accuracy", "extracted")
PIXMO_TASKS: list[Task] = [
    TsvMcqTask(
        _info(
            "pixmo_mmbench",
            "Multi-PixMo MMBench (en fr de it es): MCQ, circular where the TSV holds rotated copies",
            "MMBench_DEV_<lang>.tsv",
            ("circular_accuracy", *_MCQ_METRICS),
            "circular_accuracy",
        ),
        prefixes=("mmbench",),
        circular=True,
    ),
    TsvMcqTask(
        _info("pixmo_scienceqa", "Multi-PixMo ScienceQA (en fr de it es): MCQ accuracy",
              "ScienceQA_<split>_<lang>.tsv", _MCQ_METRICS, "accuracy"),
        prefixes=("scienceqa",),
    ),
    TsvMcqTask(
        _info("pixmo_ai2d", "Multi-PixMo AI2D (en fr de it es): diagram MCQ accuracy",
              "AI2D_TEST_<lang>.tsv", _MCQ_METRICS, "accuracy"),
        prefixes=("ai2d",),
    ),
    TsvYesNoTask(
        _info("pixmo_mme", "Multi-PixMo MME (en fr de it es): yes/no; acc + acc+ per category, totals",
              "MME_<lang>.tsv", ("total", "perception", "cognition", "accuracy", "extracted"), "total"),
        prefixes=("mme",),
        kind="mme",
        add_instruction=False,
    ),
    TsvYesNoTask(
        _info("pixmo_pope", "Multi-PixMo POPE (en fr de it es): object hallucination yes/no; F1 headline",
              "POPE_<lang>.tsv", ("f1", "accuracy", "precision", "recall", "yes_ratio", "extracted"), "f1"),
        prefixes=("pope",),
        kind="pope",
        add_instruction=True,
    ),
]  # fmt: skip


@dataclass
class PixmoSuite(Task):
    """All five datasets from one folder: sample ids ``<dataset>/<lang>/<index>``; each dataset is scored
    and aggregated by its own task, and the suite reports their primary metrics side by side."""

    info: TaskInfo
    parts: dict[str, Task]

    def load(self, options: LoadOptions) -> Iterator[Sample]:
        """Every dataset found under ``--data`` (a dataset with no file is skipped with a warning)."""
        if options.data is None or not options.data.is_dir():
            raise ConfigError("task pixmo needs --data DIR holding the five datasets' TSVs")
        inner = LoadOptions(options.data, options.langs, None, options.skip_bad_rows, options.images,
                            options.seed, options.extra)  # fmt: skip
        stream = (
            s for name in self.parts if self._has_files(name, options) for s in self._load_part(name, inner)
        )
        yield from (stream if options.limit is None else limit_evenly(stream, options.limit))

    def _has_files(self, name: str, options: LoadOptions) -> bool:
        try:
            find_language_files(options.data or Path("."), self._prefixes(name))
        except DataError:
            log.warning("pixmo: no %s TSV under %s; the suite runs without it", name, options.data)
            return False
        return True

    def _prefixes(self, name: str) -> tuple[str, ...]:
        part = self.parts[name]
        return part.prefixes if isinstance(part, TsvMcqTask | TsvYesNoTask) else (name,)

    def _load_part(self, name: str, options: LoadOptions) -> Iterator[Sample]:
        for sample in self.parts[name].load(options):
            sample.id, sample.task = f"{name}/{sample.id}", self.name
            sample.meta["dataset"] = name
            yield sample

    def score(self, sample: Sample, prediction: str) -> dict[str, float | None]:
        """Scored by the sample's own dataset task."""
        return self.parts[sample.meta["dataset"]].score(sample, prediction)

    def aggregate(self, scored: list[SampleScore], n_samples: int) -> TaskResult:
        """Each dataset aggregated by its task (in ``extra['datasets']``); ``scores`` / ``by_language``
        hold ``<dataset>/<metric>`` for every dataset's primary metric."""
        result = TaskResult(scores={}, n_samples=n_samples, primary_metric="")
        datasets: dict[str, object] = {}
        for name, part in self.parts.items():
            group = [s for s in scored if s.meta.get("dataset") == name]
            if not group:
                continue
            sub = part.aggregate(group, len(group))
            datasets[name] = sub.model_dump()
            key = f"{name}/{sub.primary_metric}"
            result.primary_metric = result.primary_metric or key
            if sub.primary_metric in sub.scores:
                result.scores[key] = sub.scores[sub.primary_metric]
            for lang, values in sub.by_language.items():
                if sub.primary_metric in values:
                    result.by_language.setdefault(lang, {})[key] = values[sub.primary_metric]
            result.n_failed += sub.n_failed
        result.extra["datasets"] = datasets
        return result


TASKS: list[Task] = [
    *PIXMO_TASKS,
    PixmoSuite(
        _info("pixmo", "Multi-PixMo suite: MMBench, ScienceQA, MME, POPE, AI2D from one folder",
              "one folder with <Dataset>_<lang>.tsv for the five datasets",
              tuple(f"{t.name.removeprefix('pixmo_')}/{t.info.primary_metric}" for t in PIXMO_TASKS),
              "mmbench/circular_accuracy"),
        parts={t.name.removeprefix("pixmo_"): t for t in PIXMO_TASKS},
    ),
]  # fmt: skip
