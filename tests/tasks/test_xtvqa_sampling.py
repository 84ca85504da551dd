"""XT-VQA paper defaults: questions in every registry language the file gives, and ``--limit`` as a seeded
random subset of whole questions (``-T sample=random``, the default) or the first ones (``sample=first``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from babelvlm.errors import DataError
from babelvlm.tasks.base import LoadOptions
from babelvlm.tasks.xtvqa import TASKS, build_prompt, question_of

TASK = TASKS[0]
LANGS = ("en", "zh", "fr", "de", "pt", "ar", "tr", "ko")
QUESTION = {
    "en": "what is the value?",
    "zh": "数值是多少？",
    "fr": "quelle est la valeur ?",
    "de": "welcher Wert?",
    "pt": "qual é o valor?",
    "ar": "ما هي القيمة؟",
    "tr": "değer nedir?",
    "ko": "값은 무엇입니까?",
}


@pytest.fixture()
def data(tmp_path: Path) -> Path:
    Image.new("RGB", (8, 8), (255, 255, 255)).save(tmp_path / "c.png")
    rows = [{"dataset": "chartqa", "id": f"c{i}", "image": "c.png", "answers": [str(i)], "source_lang": "en",
             **{f"question_{q}": f"{QUESTION[q]} ({i})" for q in LANGS}} for i in range(10)]  # fmt: skip
    path = tmp_path / "x.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def _load(data: Path, **kw: object) -> list:  # type: ignore[type-arg]
    return list(TASK.load(LoadOptions(data=data, **kw)))  # type: ignore[arg-type]


def test_every_language_the_file_gives(data: Path) -> None:
    samples = _load(data)
    assert len(samples) == 10 * 8 and [s.lang for s in samples[:8]] == list(LANGS)
    pt = samples[4]
    short = "Responda à pergunta usando uma única palavra ou frase curta."
    assert pt.prompt == f"qual é o valor? (0)\n{short} Responda em inglês."
    ko = samples[7]
    assert ko.prompt.endswith("한 단어나 짧은 구로 질문에 답하세요. 영어로 답하세요.")
    assert [s.lang for s in _load(data, langs=["ar", "en"])[:2]] == ["en", "ar"]


def test_random_subset_is_seeded_and_keeps_whole_questions(data: Path) -> None:
    first = _load(data, limit=24)
    again = _load(data, limit=24)
    other = _load(data, limit=24, seed=1)
    assert [s.id for s in first] == [s.id for s in again] and len(first) == 24
    questions = {question_of(s) for s in first}
    assert len(questions) == 3 and all(sum(question_of(s) == q for s in first) == 8 for q in questions)
    assert questions != {question_of(s) for s in other}
    assert questions != {"chartqa:c0", "chartqa:c1", "chartqa:c2"}  # not simply the first three
    head = _load(data, limit=16, extra={"sample": "first"})
    assert [s.id for s in head][:2] == ["chartqa:c0:en", "chartqa:c0:zh"]
    assert len(_load(data, limit=3)) == 8  # at least one whole question


def test_a_row_missing_a_language_of_the_first_row_is_an_error(data: Path, tmp_path: Path) -> None:
    rows = [json.loads(line) for line in data.read_text(encoding="utf-8").splitlines()]
    del rows[3]["question_tr"]
    bad = tmp_path / "bad.jsonl"
    bad.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    with pytest.raises(DataError) as info:
        _load(bad)
    assert (info.value.row, info.value.field) == (4, "question_tr")
    assert len(_load(bad, langs=["en", "zh"])) == 20  # not asked for: no error


def test_prompts_exist_for_every_registry_language() -> None:
    from babelvlm.langs import LANGUAGES

    for lang in LANGUAGES:
        assert build_prompt("Q?", lang, "en", "extractive", ask_source=True).startswith("Q?\n")
