"""Multilingual MMBench (circular) and MMMB (plain MCQ) from VLMEvalKit TSVs (Parrot, seed 003; SPEC 4).

Data: ``--data DIR`` holding one TSV per language, named as the public files are
(``MMBench_DEV_EN.tsv``, ``mmbench_dev_cn.tsv``, ``mmmb_ar.tsv``: the first name token is the benchmark,
the last language token the language, ``cn`` = ``zh``), or a single TSV (language from its name or
``-T lang=xx``), or the Hugging Face parquet copies (a folder, or a cached id such as ``lmms-lab/MMBench``;
see ``babelvlm.tasks.hub_data``). Columns: ``index``, ``question``, ``A``..``D`` (more letters
allowed, empty = absent), ``answer`` (a letter), optional ``hint``, ``category``, ``l2-category``, and
``image`` (base64).

MMBench circular evaluation: the TSVs hold the rotated copies (index = g + k * 10^6, options rotated, each
row with its own answer letter); a question g counts as right only if every row of its group is right.
MMMB is scored per row (``accuracy``, as VLMEvalKit does) and by the paper's Yes/No pairs
(``pair_accuracy``, the headline whenever rows pair: see ``babelvlm.tasks.mmmb_pairs``);
``-T circular=true`` adds the rotated copies (built here when the file has none) and scores it circularly.
Both report accuracy by ``category`` and ``l2-category`` per language in ``extra['breakdowns']``. An answer
no option can be extracted from is wrong and counted (``extracted`` = 0), never replaced by a guess.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from string import ascii_uppercase

from babelvlm.errors import ConfigError
from babelvlm.schema import Sample, SampleScore, TaskResult
from babelvlm.tasks.base import LoadOptions, Task, TaskInfo, limit_evenly
from babelvlm.tasks.hub_data import DataSource, language_sources, row_reader
from babelvlm.tasks.mcq_aggregate import add_gap_to_english, circular_result
from babelvlm.tasks.mcq_prompts import mcq_prompt
from babelvlm.tasks.tsv import TsvRow

ROTATION = 10**6
"""Rotated copy k of question g has index g + k * ROTATION (VLMEvalKit / MMBench convention)."""

MCQ_REQUIRED = ("question", "answer", "A", "B")


def option_letters(row: TsvRow) -> dict[str, str]:
    """The options of a row: every single-letter column A, B, C... with a non-empty cell, in order."""
    options: dict[str, str] = {}
    for letter in ascii_uppercase:
        if letter not in row.cells:
            break
        text = row.get(letter)
        if text is not None:
            options[letter] = text
    return options


def mcq_sample(row: TsvRow, task: str, lang: str, id_prefix: str = "") -> Sample:
    """Build the Sample of one MCQ row; DataError when the answer is not one of the row's options."""
    options = option_letters(row)
    if len(options) < 2:
        raise row.error(
            "A", f"has {len(options)} non-empty option(s); an MCQ needs at least 2", "fill A and B"
        )
    answer = row.require("answer").upper()
    if answer not in options:
        letters = f"{min(options)}-{max(options)}"
        raise row.error(
            "answer",
            f"is '{answer}' but only options {letters} exist",
            f"give the letter of the right option ({', '.join(options)})",
        )
    index = row.require("index")
    return Sample(
        id=f"{id_prefix}{lang}/{index}",
        task=task,
        prompt=mcq_prompt(row.require("question"), options, lang, row.get("hint")),
        references=[answer],
        lang=lang,
        images=row.images,
        options=options,
        max_new_tokens=16,
        meta={
            "index": index,
            "group": group_of(index),
            "n_options": len(options),
            "question": row.require("question"),
            "hint": row.get("hint"),
            "category": row.get("category"),
            "l2_category": row.get("l2-category"),
            "image": image_identity(row),
            "answer_text": options[answer],
        },
    )


def image_identity(row: TsvRow) -> str | None:
    """What makes two rows show the same image (MMMB's Yes/No pairs): a digest of the image's base64
    text or its path (rows that refer to another row's image get that row's bytes, hence its digest)."""
    if not row.images:
        return None
    ref = row.images[0]
    raw = ref.b64 if ref.b64 is not None else ref.path
    return None if raw is None else hashlib.blake2b(raw.encode(), digest_size=12).hexdigest()


def group_of(index: str) -> str:
    """The circular group of a row index: ``index mod 10^6`` for integer indices, else the index."""
    return str(int(index) % ROTATION) if index.isdigit() else index


def rotations(sample: Sample) -> list[Sample]:
    """The circular copies of an unrotated MCQ sample: k = 1..n-1 shifts of the option texts.

    Copy k puts the text of option i at letter (i - k) mod n, so the right answer moves letter by letter;
    its index is index + k * 10^6, as in the public MMBench TSVs.
    """
    assert sample.options is not None
    letters = list(sample.options)
    texts = [sample.options[letter] for letter in letters]
    answer = letters.index(sample.references[0])
    out = []
    for k in range(1, len(letters)):
        rotated = dict(zip(letters, texts[k:] + texts[:k], strict=True))
        index = int(sample.meta["index"]) + k * ROTATION
        meta = {**sample.meta, "index": str(index), "rotation": k}
        new_answer = letters[(answer - k) % len(letters)]
        out.append(
            Sample(
                id=f"{sample.id.rsplit('/', 1)[0]}/{index}",
                task=sample.task,
                prompt=mcq_prompt(sample.meta["question"], rotated, sample.lang, sample.meta["hint"]),
                references=[new_answer],
                lang=sample.lang,
                images=sample.images,
                options=rotated,
                max_new_tokens=sample.max_new_tokens,
                meta=meta,
            )
        )
    return out


def score_choice(sample: Sample, prediction: str) -> dict[str, float | None]:
    """accuracy = 1 when the extracted option letter is the answer; ``extracted`` = 0 when no option
    can be read from the prediction (then accuracy is 0: an unreadable answer is wrong, never guessed)."""
    from babelvlm.metrics import extract_choice

    choice = extract_choice(prediction, sample.options or {}, sample.lang)
    return {
        "accuracy": 1.0 if choice is not None and choice == sample.references[0] else 0.0,
        "extracted": 0.0 if choice is None else 1.0,
    }


def parse_bool(value: str | None, name: str) -> bool:
    """A ``-T name=true|false`` option."""
    if value is None:
        return False
    lowered = value.strip().lower()
    if lowered in ("true", "1", "yes", "on"):
        return True
    if lowered in ("false", "0", "no", "off"):
        return False
    raise ConfigError(f"task option {name}={value} is not a boolean (fix: -T {name}=true or false)")


@dataclass
class TsvMcqTask(Task):
    """A multiple-choice benchmark stored as one VLMEvalKit TSV per language."""

    info: TaskInfo
    prefixes: tuple[str, ...]
    circular: bool = False
    """Always scored circularly (MMBench); otherwise only with ``-T circular=true``."""

    def load(self, options: LoadOptions) -> Iterator[Sample]:
        """Stream the samples of every language file (languages in ``--langs`` order, else by code)."""
        if options.data is None:
            raise ConfigError(f"task {self.name} needs --data (a folder of TSVs or one TSV)")
        circular = self.circular or parse_bool(options.extra.get("circular"), "circular")
        files = language_sources(options.data, self.prefixes, options.langs, options.extra)
        order = options.langs or sorted(files)
        stream: Iterator[Sample] = (
            s
            for lang in order
            if lang in files
            for s in self._load_file(files[lang], lang, options, circular)
        )
        if circular and not self.circular:
            stream = self._with_rotations(stream)
        if options.limit is None:
            yield from stream
        else:
            yield from limit_evenly(stream, options.limit)

    def _load_file(
        self, source: DataSource, lang: str, options: LoadOptions, circular: bool
    ) -> Iterator[Sample]:
        reader = row_reader(source, MCQ_REQUIRED, options.skip_bad_rows, options.images)

        def parse(row: TsvRow) -> Sample:
            if circular and not row.require("index").isdigit():
                raise row.error("index", "is not a whole number", "circular evaluation needs g + k * 1000000")
            return mcq_sample(row, self.name, lang)

        yield from reader.parse(parse)

    @staticmethod
    def _with_rotations(stream: Iterator[Sample]) -> Iterator[Sample]:
        """Add the rotated copies when a file holds none (no index >= 10^6)."""
        for sample in stream:
            yield sample
            index = sample.meta["index"]
            if not (index.isdigit() and int(index) >= ROTATION):
                yield from rotations(sample)

    def score(self, sample: Sample, prediction: str) -> dict[str, float | None]:
        """See ``score_choice``."""
        return score_choice(sample, prediction)

    def evidence(self, sample: Sample, prediction: str) -> dict[str, str]:
        """The option letter read from the prediction ("none" when no option could be read)."""
        from babelvlm.metrics import extract_choice

        return {"extracted answer": extract_choice(prediction, sample.options or {}, sample.lang) or "none"}

    def aggregate(self, scored: list[SampleScore], n_samples: int) -> TaskResult:
        """Plain means (accuracy, extraction rate); circular accuracy as headline where it applies
        (always for MMBench, for MMMB when rotated copies were scored); gap to English in ``extra``."""
        result = super().aggregate(scored, n_samples)
        rotated = any(s.meta.get("rotation") or _is_rotated(s.sample_id) for s in scored)
        if self.circular or rotated:
            result = circular_result(result, scored)
        if not self.circular:  # MMMB: the paper's Yes/No pairs, headline unless circular was asked
            from babelvlm.tasks.mmmb_pairs import add_pair_accuracy

            result = add_pair_accuracy(result, scored, headline=not rotated)
        add_category_tables(result, scored, self.circular or rotated)
        return add_gap_to_english(result)


def add_category_tables(result: TaskResult, scored: list[SampleScore], circular: bool) -> None:
    """Accuracy by ``category`` and by ``l2-category`` per language (Parrot Figure 4), on the unrotated
    rows (a rotated copy repeats its question); with circular scoring also circular accuracy by them."""
    from babelvlm.tasks.breakdown import add_breakdown, add_circular_breakdown, attr_key, meta_key

    originals = [s for s in scored if not (s.meta.get("rotation") or _is_rotated(s.sample_id))]
    for name, column in (("category", "category"), ("l2-category", "l2_category")):
        axes = ((name, meta_key(column)), ("language", attr_key("lang")))
        add_breakdown(result, name, originals, axes, ("accuracy",))
        if circular:
            add_circular_breakdown(result, f"{name} (circular)", scored, meta_key(column))


def _is_rotated(sample_id: str) -> bool:
    index = sample_id.rsplit("/", 1)[-1]
    return index.isdigit() and int(index) >= ROTATION


_MMBENCH_LANGS = ("en", "zh", "pt", "ar", "tr", "ru")

TASKS: list[Task] = [
    TsvMcqTask(
        TaskInfo(
            name="mmbench",
            description="Multilingual MMBench-dev (Parrot): 4-option MCQ scored with circular evaluation",
            paper="Parrot: Multilingual Visual Instruction Tuning; MMBench (Liu et al., 2023)",
            languages=_MMBENCH_LANGS,
            formats=("VLMEvalKit TSV per language: MMBench_DEV_<LANG>.tsv / mmbench_dev_<lang>.tsv",),
            metrics=("circular_accuracy", "accuracy", "extracted"),
            primary_metric="circular_accuracy",
        ),
        prefixes=("mmbench",),
        circular=True,
    ),
    TsvMcqTask(
        TaskInfo(
            name="mmmb",
            description="MMMB (Parrot): multilingual MCQ; plain accuracy (-T circular=true: circular)",
            paper="Parrot: Multilingual Visual Instruction Tuning",
            languages=_MMBENCH_LANGS,
            formats=("VLMEvalKit TSV per language: mmmb_<lang>.tsv (mmmb_cn.tsv = zh)",),
            metrics=("pair_accuracy", "accuracy", "circular_accuracy", "extracted"),
            primary_metric="accuracy",
        ),
        prefixes=("mmmb",),
    ),
]
