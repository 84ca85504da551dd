"""BabelText (SPEC section 9): the built-in benchmark, generated locally and deterministically.

Text-rich images (shop signs, receipts, price tables, bar charts, document snippets) whose text is in one
language, and the same question asked in every language, with exact answers (numbers, times, names) and a
graded difficulty. Matrix: question language x image-text language. Scoring: ``accuracy`` (numeric match
for numbers and times, exact match after normalisation for names), ``exact_match`` and ``vqa_accuracy``.

Task options (``-T key=value``): ``scenes`` (images per image language, default 20), ``image_langs``
(default: the question languages). ``--data DIR`` writes a copy there, or reads the copy found there.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from babelvlm.errors import ConfigError, DataError
from babelvlm.schema import ImageRef, Sample, SampleScore, TaskResult
from babelvlm.tasks.babeltext_answers import numeric_match, time_match
from babelvlm.tasks.babeltext_render import render_png
from babelvlm.tasks.babeltext_scenes import GENERATOR_VERSION, make_scenes, question_for, supported_languages
from babelvlm.tasks.base import LoadOptions, Task, TaskInfo, limit_evenly
from babelvlm.tasks.generated_copy import cached_copy, copy_rows, parse_codes, settings_key

log = logging.getLogger(__name__)

DEFAULT_SCENES = 20
SAMPLES_FILE = "babeltext.jsonl"
MANIFEST_FILE = "manifest.json"
DIFFICULTIES = ("easy", "medium", "hard")


@dataclass(frozen=True)
class BabelTextConfig:
    """What determines a generated copy: same config -> byte-identical images and samples."""

    seed: int
    scenes: int
    image_langs: tuple[str, ...]
    question_langs: tuple[str, ...]
    version: str = GENERATOR_VERSION

    def key(self) -> str:
        """A short hash naming the cached copy of this configuration."""
        return settings_key(self)


def _langs(value: list[str] | str | None, what: str) -> tuple[str, ...] | None:
    return parse_codes(value, supported_languages(), f"BabelText {what} language")


def config_from_options(options: LoadOptions) -> BabelTextConfig:
    """Read seed, ``-T scenes``, ``-T image_langs`` and ``--langs`` (question languages); with
    ``--limit`` only as many scenes as the limit needs are generated."""
    q_langs = _langs(options.langs, "question") or supported_languages()
    img_langs = _langs(options.extra.get("image_langs"), "image") or q_langs
    raw = options.extra.get("scenes", str(DEFAULT_SCENES))
    try:
        scenes = int(raw)
    except ValueError:
        scenes = 0
    if scenes < 1:
        raise ConfigError(f"-T scenes={raw} is not a positive integer (fix: e.g. -T scenes=20)")
    if options.limit is not None:
        scenes = min(scenes, math.ceil(options.limit / (len(img_langs) * len(q_langs))))
    return BabelTextConfig(options.seed, scenes, img_langs, q_langs)


def generate(config: BabelTextConfig, directory: Path) -> Path:
    """Render the images and write ``babeltext.jsonl`` and ``manifest.json`` (written last, so a copy
    without it is incomplete) into ``directory``. Returns the samples file."""
    images = directory / "images"
    images.mkdir(parents=True, exist_ok=True)
    rows: list[dict[str, Any]] = []
    for scene in make_scenes(config.seed, config.scenes):
        for img_lang in config.image_langs:
            name = f"{scene.index:04d}-{img_lang}.png"
            (images / name).write_bytes(render_png(scene, img_lang))
            for q_lang in config.question_langs:
                qa = question_for(scene, q_lang, img_lang)
                rows.append(
                    {
                        "id": f"babeltext-{config.seed}-{scene.index:04d}-{img_lang}-{q_lang}",
                        "prompt": qa.question,
                        "references": qa.references,
                        "lang": q_lang,
                        "image_lang": img_lang,
                        "image": f"images/{name}",
                        "answer_type": qa.answer_type,
                        "difficulty": scene.difficulty,
                        "qtype": scene.qtype,
                        "kind": scene.kind,
                        "scene": scene.index,
                    }
                )
    samples = directory / SAMPLES_FILE
    samples.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    manifest = json.dumps(asdict(config), indent=2, sort_keys=True)
    (directory / MANIFEST_FILE).write_text(manifest + "\n", encoding="utf-8")
    return samples


def ensure_generated(config: BabelTextConfig, data: Path | None) -> Path:
    """The directory holding this copy: ``data`` (read if it has a manifest, else generated there) or
    the user cache (generated once into a temporary directory, then renamed into place)."""
    if data is not None:
        manifest = data / MANIFEST_FILE
        if not manifest.is_file():
            generate(config, data)
        else:  # a frozen copy is evaluated as it is; say so when it was made with other settings
            stored = json.loads(manifest.read_text(encoding="utf-8"))
            wanted = json.loads(json.dumps(asdict(config)))
            differ = sorted(k for k, v in wanted.items() if stored.get(k) != v)
            if differ:
                log.warning(
                    "BabelText copy %s was generated with other settings (%s); evaluating the copy as it "
                    "is (use another --data folder to generate these settings)",
                    data,
                    ", ".join(f"{k}={stored.get(k)!r}" for k in differ),
                )
        return data
    return cached_copy("babeltext", config, generate, MANIFEST_FILE)


_REQUIRED = ("id", "prompt", "references", "lang", "image_lang", "image", "answer_type", "difficulty")


def read_samples(directory: Path) -> Iterator[Sample]:
    """Samples from ``directory/babeltext.jsonl``; a malformed row is a DataError naming row and field."""
    path = directory / SAMPLES_FILE
    if not path.is_file():
        raise DataError(
            "no BabelText samples file", file=str(path), fix="remove --data or point it at a copy"
        )
    for n, row in copy_rows(path, _REQUIRED, fix="regenerate the copy"):
        if row["answer_type"] not in ("number", "time", "name") or not row["references"]:
            raise DataError("bad answer", file=str(path), row=n, field="answer_type/references")
        meta: dict[str, Any] = {
            k: row[k] for k in ("answer_type", "difficulty", "qtype", "kind", "scene") if k in row
        }
        image = directory / row["image"]
        yield Sample(
            id=row["id"],
            task="babeltext",
            prompt=row["prompt"],
            references=list(row["references"]),
            lang=row["lang"],
            image_lang=row["image_lang"],
            images=[ImageRef(path=str(image), source=f"{path} row {n} field 'image'")],
            max_new_tokens=24,
            meta=meta,
        )


def name_match(prediction: str, references: list[str], lang: str) -> float:
    """Exact match after SPEC 5 normalisation (NFKC, casefold, punctuation removed), any reference."""
    from babelvlm.text.normalize import normalize

    pred = normalize(prediction, lang, strip_punct=True)
    return 1.0 if any(normalize(r, lang, strip_punct=True) == pred for r in references) else 0.0


class BabelTextTask(Task):
    """The generated question-language x image-text-language benchmark."""

    info = TaskInfo(
        name="babeltext",
        description="Generated text-rich images (signs, receipts, tables, charts, documents) in 7 languages; "
        "every question in every language",
        paper="BabelVLM (generated), after Cross-Lingual Text-Rich Visual Comprehension (XT-VQA)",
        languages=supported_languages(),
        formats=("generated",),
        metrics=("accuracy", "exact_match", "vqa_accuracy", "numeric_match"),
        primary_metric="accuracy",
        matrix_axes=("lang", "image_lang"),
        generative=False,
        needs_data=False,
        extra={"image_langs_option": "image_langs", "count_option": "scenes", "count_meta": "scene"},
    )

    def load(self, options: LoadOptions) -> Iterator[Sample]:
        """Generate (or reuse) the copy for these options and yield its samples, limited evenly."""
        config = config_from_options(options)
        directory = ensure_generated(config, options.data)
        wanted = [
            s
            for s in read_samples(directory)
            if s.lang in config.question_langs and s.image_lang in config.image_langs
        ]
        if not wanted:
            raise DataError(
                f"no samples for question languages {config.question_langs} and image languages "
                f"{config.image_langs}",
                file=str(directory / SAMPLES_FILE),
                fix="use other --langs / -T image_langs, or a fresh --data directory",
            )
        yield from limit_evenly(wanted, options.limit, key="lang")

    def score(self, sample: Sample, prediction: str) -> dict[str, float | None]:
        """accuracy by answer type; exact_match (normalised) and vqa_accuracy (official VQA processing,
        max over the acceptable answers, which are alternatives, not annotator votes)."""
        from babelvlm.metrics.vqa import vqa_accuracy

        refs, kind = sample.references, sample.meta.get("answer_type", "name")
        exact = name_match(prediction, refs, sample.lang)
        numeric: float | None = None
        if kind == "number":
            numeric = numeric_match(prediction, refs)
        elif kind == "time":
            numeric = time_match(prediction, refs)
        return {
            "accuracy": exact if numeric is None else numeric,
            "exact_match": exact,
            "vqa_accuracy": max(vqa_accuracy(prediction, [r]) for r in refs),
            "numeric_match": numeric,
        }

    def aggregate(self, scored: list[SampleScore], n_samples: int) -> TaskResult:
        """The default aggregation plus accuracy per difficulty and per answer type (``extra``)."""
        from babelvlm.tasks.aggregate import default_aggregate, metric_means

        result = default_aggregate(self.info, scored, n_samples)
        ok = [s for s in scored if not s.failed]
        for field in ("difficulty", "answer_type", "kind"):
            groups: dict[str, list[SampleScore]] = {}
            for s in ok:
                groups.setdefault(str(s.meta.get(field, "?")), []).append(s)
            result.extra[f"by_{field}"] = {
                k: {**metric_means(v, ["accuracy"]), "n": float(len(v))} for k, v in sorted(groups.items())
            }
        return result


TASKS: list[Task] = [BabelTextTask()]
