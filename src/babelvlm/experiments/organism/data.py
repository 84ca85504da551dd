"""The organism's training data, drawn from the ``organism`` task with a training seed.

The same generator as the evaluation (``babelvlm eval --tasks organism``), through the task's public
``load`` with another seed, written as LLaVA conversation JSONL (``image``, ``conversations`` with
human / gpt turns and the ``<image>`` placeholder) that ``babelvlm train`` reads. One question per scene;
its language is English with probability ``en_share``, else one of the other languages (English-heavy:
1.0 for English-only instruction data, 0.9 for 90/10).
"""

from __future__ import annotations

import json
import random
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from babelvlm.errors import ConfigError
from babelvlm.schema import Sample
from babelvlm.tasks import organism_scenes
from babelvlm.tasks.base import LoadOptions
from babelvlm.tasks.registry import get_task

EVAL_SEED = 0
"""The seed ``babelvlm eval --tasks organism`` uses by default; training data must use another."""


def task_samples(
    seed: int, scenes: int, langs: Sequence[str] | None = None, qtypes: Sequence[str] | None = None
) -> list[Sample]:
    """The organism task's samples for ``seed`` (``scenes`` scenes per question type)."""
    if seed == EVAL_SEED:
        raise ConfigError(f"seed {EVAL_SEED} is the evaluation copy (fix: train on any other seed)")
    extra = {"scenes": str(scenes), **({"qtypes": ",".join(qtypes)} if qtypes else {})}
    options = LoadOptions(seed=seed, langs=list(langs) if langs else None, extra=extra)
    return list(get_task("organism").load(options))


def by_scene(samples: Sequence[Sample]) -> dict[int, dict[str, Sample]]:
    """Samples grouped by scene, then by question language."""
    grouped: dict[int, dict[str, Sample]] = {}
    for sample in samples:
        grouped.setdefault(int(sample.meta["scene"]), {})[sample.lang] = sample
    return grouped


def choose_languages(
    scenes: Sequence[int], langs: Sequence[str], en_share: float, seed: int
) -> dict[int, str]:
    """One question language per scene: ``en`` with probability ``en_share``, else uniform over the rest."""
    if not 0.0 <= en_share <= 1.0:
        raise ConfigError(f"en_share={en_share} is not in [0, 1] (fix: e.g. 1.0 or 0.9)")
    others = [lang for lang in langs if lang != "en"]
    if en_share < 1.0 and not others:
        raise ConfigError("en_share < 1 needs a language other than en (fix: add languages)")
    rng = random.Random(f"organism-mix-{seed}")
    return {s: "en" if rng.random() < en_share or not others else rng.choice(others) for s in scenes}


def llava_row(sample: Sample, image: str) -> dict[str, Any]:
    """One LLaVA conversation: the image, the question, the answer word."""
    return {
        "id": sample.id,
        "image": image,
        "conversations": [
            {"from": "human", "value": f"<image>\n{sample.prompt}"},
            {"from": "gpt", "value": sample.references[0]},
        ],
        "lang": sample.lang,
        "qtype": sample.meta["qtype"],
    }


def write_llava_jsonl(
    out_dir: Path, seed: int, scenes: int, en_share: float = 1.0, qtypes: Sequence[str] | None = None
) -> Path:
    """``out_dir/train.jsonl`` (+ ``images/``): one conversation per scene, English-heavy by ``en_share``."""
    grouped = by_scene(task_samples(seed, scenes, qtypes=qtypes))
    langs = sorted({lang for per_lang in grouped.values() for lang in per_lang})
    chosen = choose_languages(sorted(grouped), langs, en_share, seed)
    return write_samples(out_dir, [per_lang[chosen[scene]] for scene, per_lang in sorted(grouped.items())])


def write_samples(out_dir: Path, samples: Sequence[Sample]) -> Path:
    """``out_dir/train.jsonl`` with one LLaVA conversation per sample, images copied to ``images/``."""
    (out_dir / "images").mkdir(parents=True, exist_ok=True)
    lines = []
    for sample in samples:
        source = Path(str(sample.images[0].path))
        image = f"images/{source.parent.parent.name}-{source.name}"
        shutil.copyfile(source, out_dir / image)
        lines.append(json.dumps(llava_row(sample, image), ensure_ascii=False))
    path = out_dir / "train.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_parallel_jsonl(
    out_dir: Path, seed: int, scenes: int, langs: Sequence[str], qtypes: Sequence[str] | None = None
) -> Path:
    """``out_dir/parallel.jsonl`` in the XT-VQA format MVCL-MI reads (SPEC 2, eq. 10): per scene the image,
    ``source_lang`` en, and ``question_<lang>`` / ``answer_<lang>`` for every language in ``langs``."""
    if "en" not in langs or len(langs) < 2:
        raise ConfigError(f"parallel data needs en and another language, got {list(langs)} (fix: en,fr,...)")
    (out_dir / "images").mkdir(parents=True, exist_ok=True)
    lines = []
    for _, per_lang in sorted(by_scene(task_samples(seed, scenes, langs, qtypes)).items()):
        first = per_lang["en"]
        source = Path(str(first.images[0].path))
        image = f"images/{source.parent.parent.name}-{source.name}"
        shutil.copyfile(source, out_dir / image)
        row: dict[str, Any] = {"id": first.id.rsplit("-", 1)[0], "image": image, "source_lang": "en"}
        for lang, sample in per_lang.items():
            row[f"question_{lang}"] = sample.prompt
            row[f"answer_{lang}"] = sample.references[0]
        lines.append(json.dumps(row, ensure_ascii=False))
    path = out_dir / "parallel.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


MIDDLE = 16
"""A single shape within this many pixels of the centre line is captioned "in the middle"."""
CAPTION_PROMPT = "Describe the image briefly."
"""Stage 1's instruction (LLaVA's alignment stage pairs a short fixed instruction with a caption)."""


def caption(scene: organism_scenes.Scene) -> str:
    """An English caption naming everything the scene shows: colour, shape and side of a single shape,
    the number, colour and shape of several, or a digit and its colour."""
    answers = organism_scenes.words()["answers"]
    if scene.digit:
        return f"The digit {answers['digit'][scene.digit]['en']} in {scene.digit_colour}."
    shape, colour, x, _, _ = scene.shapes[0]
    if len(scene.shapes) > 1 or scene.qtype == "count":
        n = len(scene.shapes)
        noun = shape if n == 1 else f"{shape}s"
        return f"{answers['count'][str(n)]['en'].capitalize()} {colour} {noun}."
    offset = x - organism_scenes.IMAGE_SIZE // 2
    side = "in the middle" if abs(offset) < MIDDLE else "on the left" if offset < 0 else "on the right"
    return f"A {colour} {shape} {side}."


def write_caption_jsonl(out_dir: Path, seed: int, scenes: int) -> Path:
    """``out_dir/train.jsonl`` (+ ``images/``): stage 1's English captions of ``scenes`` scenes per question
    type, drawn from ``seed`` by the organism task's own scene generator."""
    if seed == EVAL_SEED:
        raise ConfigError(f"seed {EVAL_SEED} is the evaluation copy (fix: train on any other seed)")
    (out_dir / "images").mkdir(parents=True, exist_ok=True)
    lines = []
    for scene in organism_scenes.make_scenes(seed, scenes):
        image = f"images/caption-{seed}-{scene.index:05d}.png"
        (out_dir / image).write_bytes(organism_scenes.render_png(scene))
        row = {
            "id": f"caption-{seed}-{scene.index:05d}",
            "image": image,
            "conversations": [
                {"from": "human", "value": f"<image>\n{CAPTION_PROMPT}"},
                {"from": "gpt", "value": caption(scene)},
            ],
            "lang": "en",
            "qtype": scene.qtype,
        }
        lines.append(json.dumps(row, ensure_ascii=False))
    path = out_dir / "train.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def balanced(samples: Sequence[Sample], per_answer: int) -> list[Sample]:
    """The first ``per_answer`` samples of every (question type, answer), so that no answer's frequency
    alone scores above chance (the wiring batch)."""
    taken: dict[tuple[str, str], int] = {}
    out = []
    for sample in samples:
        key = (str(sample.meta["qtype"]), str(sample.meta["concept"]))
        if taken.get(key, 0) < per_answer:
            taken[key] = taken.get(key, 0) + 1
            out.append(sample)
    return out


def feature_images(samples: Sequence[Sample]) -> list[Any]:
    """The distinct images of ``samples`` as RGB PIL images (to measure the tower's standardisation)."""
    from PIL import Image

    paths = sorted({str(s.images[0].path) for s in samples})
    return [Image.open(p).convert("RGB") for p in paths]
