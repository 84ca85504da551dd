"""``organism``: the model organism's generated scenes (colours, shapes, sides, counts, large digits).

Every scene's question is asked in every language (en zh ja fr de es ru); the reference is the answer word
in the question's language. Scores: ``accuracy`` (the right word in the question's language),
``concept_accuracy`` (the right answer in any language: separates seeing from answering in the right
language). The answer vocabulary is closed and no word is shared between languages, so an answer that is
one of its words has an exactly known language, which replaces the language identifier's guess for the
fidelity (SPEC 7) of this task. The requested output language is the question's; ``extra.output_matrix``
gives, per question language, the share of answers in each output language and their concept accuracy.

Task options (``-T key=value``): ``scenes`` (scenes per question type, default 40), ``qtypes``
(default: all five). ``--seed`` chooses the scenes: evaluate on one seed, train on others.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path

from babelvlm.errors import ConfigError
from babelvlm.schema import ImageRef, Sample, SampleScore, TaskResult
from babelvlm.tasks import organism_scenes as scenes_mod
from babelvlm.tasks.base import LoadOptions, Task, TaskInfo, limit_evenly
from babelvlm.tasks.generated_copy import cached_copy, copy_rows, parse_codes

DEFAULT_SCENES = 40
SAMPLES_FILE = "organism.jsonl"
MANIFEST_FILE = "manifest.json"


@dataclass(frozen=True)
class OrganismConfig:
    """What determines a generated copy (same config -> the same images and samples)."""

    seed: int
    scenes: int
    qtypes: tuple[str, ...]
    langs: tuple[str, ...]
    version: str = scenes_mod.GENERATOR_VERSION


def _codes(value: list[str] | str | None, known: tuple[str, ...], what: str) -> tuple[str, ...]:
    return parse_codes(value, known, f"organism {what}") or known


def config_from_options(options: LoadOptions) -> OrganismConfig:
    """Seed, ``-T scenes``, ``-T qtypes`` and ``--langs``."""
    raw = options.extra.get("scenes", str(DEFAULT_SCENES))
    scenes = int(raw) if raw.isdigit() else 0
    if scenes < 1:
        raise ConfigError(f"-T scenes={raw} is not a positive integer (fix: e.g. -T scenes=40)")
    qtypes = _codes(options.extra.get("qtypes"), scenes_mod.QTYPES, "question type")
    langs = _codes(options.langs, scenes_mod.languages(), "language")
    return OrganismConfig(options.seed, scenes, qtypes, langs)


def generate(config: OrganismConfig, directory: Path) -> None:
    """Render the images and write the samples file, then the manifest (last: marks a complete copy)."""
    (directory / "images").mkdir(parents=True, exist_ok=True)
    rows = []
    for scene in scenes_mod.make_scenes(config.seed, config.scenes, config.qtypes):
        image = f"images/{scene.index:05d}.png"
        (directory / image).write_bytes(scenes_mod.render_png(scene))
        for lang in config.langs:
            rows.append(
                {
                    "id": f"organism-{config.seed}-{scene.index:05d}-{lang}",
                    "prompt": scenes_mod.question(scene.qtype, lang),
                    "references": [scenes_mod.answer_word(scene.qtype, scene.answer, lang)],
                    "lang": lang,
                    "image": image,
                    "qtype": scene.qtype,
                    "concept": scene.answer,
                    "scene": scene.index,
                }
            )
    text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    (directory / SAMPLES_FILE).write_text(text, encoding="utf-8")
    (directory / MANIFEST_FILE).write_text(
        json.dumps(asdict(config), sort_keys=True) + "\n", encoding="utf-8"
    )


def ensure_generated(config: OrganismConfig) -> Path:
    """The cached copy for ``config`` (generated once)."""
    return cached_copy("organism", config, generate, MANIFEST_FILE)


def read_samples(directory: Path) -> Iterator[Sample]:
    """Samples of a generated copy; a malformed row is a DataError naming the row and the field."""
    path = directory / SAMPLES_FILE
    required = ("id", "prompt", "references", "lang", "image", "qtype", "concept")
    for n, row in copy_rows(path, required, fix="delete the cached copy"):
        yield Sample(
            id=row["id"],
            task="organism",
            prompt=row["prompt"],
            references=list(row["references"]),
            lang=row["lang"],
            images=[ImageRef(path=str(directory / row["image"]), source=f"{path} row {n} field 'image'")],
            output_lang=row["lang"],
            max_new_tokens=8,
            meta={k: row[k] for k in ("qtype", "concept", "scene")},
        )


@cache
def vocabulary() -> dict[str, tuple[str, str, str]]:
    """Normalised answer word -> (language, question type, concept), over the whole closed vocabulary."""
    from babelvlm.text.normalize import normalize

    table: dict[str, tuple[str, str, str]] = {}
    for qtype, concepts in scenes_mod.words()["answers"].items():
        for concept, by_lang in concepts.items():
            for lang, word in by_lang.items():
                table[normalize(word, lang, strip_punct=True)] = (lang, qtype, concept)
    return table


def _lookup(prediction: str, lang: str) -> tuple[str, str, str] | None:
    from babelvlm.text.normalize import normalize

    return vocabulary().get(normalize(prediction, lang, strip_punct=True))


class OrganismTask(Task):
    """The organism's generated question-language benchmark."""

    info = TaskInfo(
        name="organism",
        description="Generated scenes (colour, shape, side, count, large digit); the same question in 7 "
        "languages, answered with a word in the question's language",
        paper="BabelVLM model organism, after Parrot, Multi-PixMo and XT-VQA",
        languages=scenes_mod.languages(),
        formats=("generated",),
        metrics=("accuracy", "concept_accuracy"),
        primary_metric="accuracy",
        matrix_axes=("lang", "output_lang"),
        generative=True,
        needs_data=False,
    )

    def load(self, options: LoadOptions) -> Iterator[Sample]:
        """Generate (or reuse) the copy for these options and yield its samples, limited evenly."""
        if options.data is not None:
            raise ConfigError("the organism task is generated; it takes no --data (fix: drop --data)")
        directory = ensure_generated(config_from_options(options))
        yield from limit_evenly(read_samples(directory), options.limit, key="lang")

    def score(self, sample: Sample, prediction: str) -> dict[str, float | None]:
        """accuracy: the reference word exactly (normalised); concept_accuracy: the right concept in any
        language."""
        from babelvlm.text.normalize import normalize

        pred = normalize(prediction, sample.lang, strip_punct=True)
        exact = any(normalize(r, sample.lang, strip_punct=True) == pred for r in sample.references)
        found = _lookup(prediction, sample.lang)
        qtype, concept = sample.meta["qtype"], sample.meta["concept"]
        same_concept = found is not None and found[2] == concept and _same_kind(found[1], qtype)
        return {"accuracy": float(exact), "concept_accuracy": float(same_concept or exact)}

    def aggregate(self, scored: list[SampleScore], n_samples: int) -> TaskResult:
        """Exact answer languages for vocabulary words, then the default aggregation plus accuracy per
        question type (``extra.by_qtype``)."""
        from babelvlm.tasks.aggregate import default_aggregate

        for s in scored:
            found = None if s.failed or s.prediction is None else _lookup(s.prediction, s.lang)
            if found is not None:
                s.detected_lang = found[0]
        result = default_aggregate(self.info, scored, n_samples)
        ok = [s for s in scored if not s.failed]
        result.extra["by_qtype"] = _grouped(ok, lambda s: str(s.meta.get("qtype", "?")), self.info.metrics)
        result.extra["output_matrix"] = {
            lang: _grouped(group, lambda s: str(s.detected_lang or "-"), ("concept_accuracy",), share=True)
            for lang, group in sorted(_by(ok, lambda s: s.lang).items())
        }
        return result


def _by(scored: list[SampleScore], key: Callable[[SampleScore], str]) -> dict[str, list[SampleScore]]:
    groups: dict[str, list[SampleScore]] = {}
    for s in scored:
        groups.setdefault(key(s), []).append(s)
    return groups


def _grouped(
    scored: list[SampleScore],
    key: Callable[[SampleScore], str],
    metrics: tuple[str, ...],
    share: bool = False,
) -> dict[str, dict[str, float]]:
    """Metric means (+ ``n``, and with ``share`` the group's share of ``scored``) per value of ``key``."""
    from babelvlm.tasks.aggregate import metric_means

    out = {}
    for value, group in sorted(_by(scored, key).items()):
        row = {**metric_means(group, list(metrics)), "n": float(len(group))}
        if share:
            row["share"] = len(group) / len(scored)
        out[value] = row
    return out


def _same_kind(found_qtype: str, qtype: str) -> bool:
    """Counts and digits share number words ("three"): either names the same number."""
    numbers = {"count", "digit"}
    return found_qtype == qtype or (found_qtype in numbers and qtype in numbers)


TASKS: list[Task] = [OrganismTask()]
