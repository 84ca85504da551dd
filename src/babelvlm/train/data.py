"""Training data readers: LLaVA conversation JSON/JSONL, XT-VQA JSONL (parallel questions, for MVCL-MI),
HF datasets parquet (``conversations`` or ``messages`` + ``image``/``images`` columns) and any BabelVLM
task's samples (``task:babeltext?seed=7&scenes=200``). Every problem is a ``DataError`` naming the file,
the row, the field and the fix, raised before any training starts (images are opened and checked here).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from babelvlm.errors import ConfigError, DataError
from babelvlm.images import decode_image
from babelvlm.schema import ImageRef

IMAGE_PLACEHOLDER = "<image>"
_ROLES = {"human": "user", "user": "user", "gpt": "assistant", "assistant": "assistant", "system": "system"}


@dataclass
class Turn:
    """One chat turn; ``text`` may hold ``<image>`` placeholders (user turns only)."""

    role: str
    text: str


@dataclass
class Conversation:
    """One supervised example: turns, their images in placeholder order, and where it came from."""

    turns: list[Turn]
    images: list[ImageRef] = field(default_factory=list)
    source: str = ""


@dataclass
class ParallelItem:
    """One MVCL-MI item (eq. 10): the same question and answer in a source and a target language."""

    image: ImageRef | None
    question: dict[str, str]
    answer: dict[str, str]
    src: str
    tgt: str
    source: str = ""


def read_conversations(spec: str) -> list[Conversation]:
    """Supervised conversations from a file or ``task:`` spec (XT-VQA rows: one per question language)."""
    if spec.startswith("task:"):
        return [_task_conversation(s) for s in _task_samples(spec)]
    path = Path(spec)
    rows = list(_rows(path))
    if rows and any(k.startswith("question_") for k in rows[0][1]):
        return [c for n, row in rows for c in _xtvqa_conversations(path, n, row)]
    conversations = [_conversation(path, n, row) for n, row in rows]
    if not conversations:
        raise DataError("no rows", file=str(path), fix="point --data at a non-empty file")
    return conversations


def read_parallel(spec: str, tgt_langs: list[str] | None) -> list[ParallelItem]:
    """MVCL-MI items: XT-VQA rows (``question_<lang>``, ``answer_<lang>`` or ``answers``) or a task's
    samples grouped by image (the image-text language is the source)."""
    if spec.startswith("task:"):
        items = _task_parallel(spec, tgt_langs)
    else:
        path = Path(spec)
        items = [item for n, row in _rows(path) for item in _xtvqa_parallel(path, n, row, tgt_langs)]
    if not items:
        raise DataError(
            "no parallel question (MVCL-MI needs each question in a source and a target language)",
            file=spec,
            field="question_<lang>",
            fix="add question_<tgt> next to question_<src>, or use a recipe with loss: ce",
        )
    return items


def _rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(1-based row, mapping) from JSON (a list), JSONL or parquet."""
    if not path.is_file():
        raise DataError("file not found", file=str(path), fix="pass an existing --data file")
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        yield from enumerate(pq.read_table(path).to_pylist(), start=1)
        return
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise DataError(f"not JSON ({exc.msg})", file=str(path), fix="a JSON list of rows") from exc
        if not isinstance(data, list):
            raise DataError("expected a JSON list of rows", file=str(path), fix="or use .jsonl")
        yield from enumerate(data, start=1)
        return
    for n, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            try:
                yield n, json.loads(line)
            except json.JSONDecodeError as exc:
                raise DataError(
                    f"not JSON ({exc.msg})", file=str(path), row=n, fix="one object a line"
                ) from exc


def _conversation(path: Path, n: int, row: dict[str, Any]) -> Conversation:
    """A LLaVA row (``conversations`` from/value) or a chat row (``messages`` role/content)."""
    raw = row.get("conversations", row.get("messages"))
    if not isinstance(raw, list) or not raw:
        raise DataError(
            "missing or empty",
            file=str(path),
            row=n,
            field="conversations",
            fix="a list of {from: human|gpt, value: ...} turns",
        )
    turns = []
    for turn in raw:
        role = _ROLES.get(str(turn.get("from", turn.get("role", ""))))
        text = turn.get("value", turn.get("content"))
        if role is None or not isinstance(text, str):
            raise DataError(
                f"bad turn {turn!r}",
                file=str(path),
                row=n,
                field="conversations",
                fix="each turn needs from (human|gpt|system) and a string value",
            )
        turns.append(Turn(role, text))
    images = _images(path, n, row)
    _check_turns(turns, len(images), f"{path} row {n}")
    return Conversation(turns, images, f"{path} row {n}")


def _images(path: Path, n: int, row: dict[str, Any]) -> list[ImageRef]:
    """The row's images (a path relative to the file, a list of them, or HF ``{bytes, path}`` dicts),
    each decoded once here so that a missing or unreadable image stops the run before training."""
    raw = row.get("image", row.get("images"))
    if raw is None:
        return []
    refs = []
    for position, item in enumerate(raw if isinstance(raw, list) else [raw]):
        where = f"{path} row {n} field 'image' [{position}]"
        if isinstance(item, dict) and item.get("bytes"):
            ref = ImageRef(data=bytes(item["bytes"]), source=where)
        else:
            name = item.get("path") if isinstance(item, dict) else item
            if not isinstance(name, str) or not (path.parent / name).is_file():
                raise DataError(
                    f"image {name!r} not found",
                    file=str(path),
                    row=n,
                    field="image",
                    fix="paths are relative to the data file; check the image folder",
                )
            ref = ImageRef(path=str(path.parent / name), source=where)
        decode_image(ref.read_bytes(), where)
        refs.append(ref)
    return refs


def _check_turns(turns: list[Turn], n_images: int, where: str) -> None:
    """At least one assistant turn; placeholders match the images (LLaVA: prepended when absent)."""
    if not any(t.role == "assistant" and t.text.strip() for t in turns):
        raise DataError(
            f"{where}: no assistant turn, so nothing to learn",
            field="conversations",
            fix="add a gpt/assistant turn or drop the row",
        )
    placed = sum(t.text.count(IMAGE_PLACEHOLDER) for t in turns)
    if placed == 0 and n_images:
        first = next(t for t in turns if t.role == "user")
        first.text = IMAGE_PLACEHOLDER * n_images + "\n" + first.text
    elif placed != n_images:
        raise DataError(
            f"{where}: {placed} <image> placeholders but {n_images} images",
            field="image",
            fix="one <image> per image, in order",
        )


def _xtvqa_image(path: Path, n: int, row: dict[str, Any]) -> list[ImageRef]:
    return _images(path, n, {"image": row["image"]}) if row.get("image") else []


def _xtvqa_conversations(path: Path, n: int, row: dict[str, Any]) -> list[Conversation]:
    """One conversation per question language, answered with ``answer_<lang>`` or ``answers[0]``."""
    images = _xtvqa_image(path, n, row)
    out = []
    for key, question in row.items():
        if key.startswith("question_") and question:
            lang = key.removeprefix("question_")
            answer = _answer(path, n, row, lang)
            turns = [Turn("user", IMAGE_PLACEHOLDER * len(images) + question), Turn("assistant", answer)]
            out.append(Conversation(turns, images, f"{path} row {n} ({lang})"))
    return out


def _answer(path: Path, n: int, row: dict[str, Any], lang: str) -> str:
    """``answer_<lang>``, else the first of ``answers`` (the image's text: language-independent)."""
    value = row.get(f"answer_{lang}") or (row.get("answers") or [None])[0]
    if not isinstance(value, str) or not value.strip():
        raise DataError(
            "no answer",
            file=str(path),
            row=n,
            field=f"answer_{lang}",
            fix="add answer_<lang> or a non-empty answers list",
        )
    return value


def _xtvqa_parallel(
    path: Path, n: int, row: dict[str, Any], tgt_langs: list[str] | None
) -> list[ParallelItem]:
    """MVCL-MI items of one XT-VQA row: the source language with each target language."""
    src = row.get("source_lang")
    questions = {k.removeprefix("question_"): v for k, v in row.items() if k.startswith("question_") and v}
    if not src or src not in questions:
        raise DataError(
            f"source_lang {src!r} has no question",
            file=str(path),
            row=n,
            field=f"question_{src}",
            fix="set source_lang to a language with a question_<lang>",
        )
    tgts = [t for t in (tgt_langs or sorted(questions)) if t != src]
    missing = [t for t in tgts if t not in questions]
    if missing or not tgts:
        raise DataError(
            "no parallel question",
            file=str(path),
            row=n,
            field=f"question_{(missing or ['<tgt>'])[0]}",
            fix="add the question in the target language, or set mvcl_mi.tgt_langs",
        )
    images = _xtvqa_image(path, n, row)
    answers = {lang: _answer(path, n, row, lang) for lang in [src, *tgts]}
    image = images[0] if images else None
    return [ParallelItem(image, questions, answers, src, t, f"{path} row {n}") for t in tgts]


def _task_samples(spec: str) -> list[Any]:
    """Samples of a BabelVLM task: ``task:NAME?seed=7&data=DIR&langs=en,fr&key=value`` (-T options)."""
    from babelvlm.tasks.base import LoadOptions
    from babelvlm.tasks.registry import get_task

    name, _, query = spec.removeprefix("task:").partition("?")
    params = dict(parse_qsl(query))
    seed = int(params.pop("seed", "0"))
    if name == "babeltext" and seed == 0:
        raise ConfigError(
            f"--data {spec}: BabelText seed 0 is the evaluation copy; training on it would overlap the "
            "evaluation (fix: task:babeltext?seed=7, any seed other than the one you evaluate on)"
        )
    data = params.pop("data", None)
    langs = params.pop("langs", None)
    options = LoadOptions(
        data=Path(data) if data else None, langs=langs.split(",") if langs else None, seed=seed, extra=params
    )
    return list(get_task(name).load(options))


def _task_conversation(sample: Any) -> Conversation:
    """A task sample as one turn pair: the prompt (with its images) and the first reference."""
    if not sample.references:
        raise DataError(
            f"sample {sample.id} has no reference answer",
            field="references",
            fix="use a task with reference answers",
        )
    user = Turn("user", IMAGE_PLACEHOLDER * len(sample.images) + sample.prompt)
    return Conversation([user, Turn("assistant", sample.references[0])], list(sample.images), sample.id)


def _task_parallel(spec: str, tgt_langs: list[str] | None) -> list[ParallelItem]:
    """A task's samples grouped by (image, image-text language): the question in the image's language
    is the source, each other question language a target."""
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    for sample in _task_samples(spec):
        image = sample.images[0] if sample.images else None
        key = ((image.path or image.source) if image else sample.id, sample.image_lang or "")
        groups.setdefault(key, {})[sample.lang] = sample
    items = []
    for (_, src), by_lang in groups.items():
        if src not in by_lang:
            continue
        first = by_lang[src]
        questions = {lang: s.prompt for lang, s in by_lang.items()}
        answers = {lang: s.references[0] for lang, s in by_lang.items()}
        image = first.images[0] if first.images else None
        for tgt in tgt_langs or sorted(by_lang):
            if tgt != src and tgt in by_lang:
                items.append(ParallelItem(image, questions, answers, src, tgt, first.id))
    return items
