"""BabelText's question templates (data) phrase every slot so that no word inflects with the filled-in
name: it is quoted after a noun that carries the grammar ("товар «яйца»", not "Сколько стоит «яйца»")."""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path

import pytest

GOLDEN = json.loads((Path(__file__).parents[1] / "data" / "babeltext_slot_phrasing.json").read_text("utf-8"))
TEMPLATES = json.loads(
    resources.files("babelvlm.tasks").joinpath("data/babeltext_questions.json").read_text("utf-8")
)["questions"]
SLOT = re.compile(r"\{(item|city)2?\}")


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_every_slot_is_quoted_after_its_noun(name: str) -> None:
    for lang, text in TEMPLATES[name]["text"].items():
        for match in SLOT.finditer(text):
            opening, closing = GOLDEN["quotes"][lang]
            before, after = text[: match.start()], text[match.end() :]
            assert before.endswith(opening) and after.startswith(closing), (name, lang, text)
            nouns = GOLDEN["nouns"][match.group(1)][lang]
            assert any(before[: -len(opening)].rstrip().endswith(n) for n in nouns), (name, lang, text)


def test_the_reported_phrasings_are_gone() -> None:
    texts = [t for q in TEMPLATES.values() for t in q["text"].values()]
    for bad in ("How much does {item}", "Сколько стоит «{item}»", "цена у «{item}»", "в городе {city}"):
        assert not any(bad in t for t in texts), bad
