"""Per-language phrase tables for answer extraction (SPEC section 6): data in ``data/answer_words.json``.

The canonical yes/no words live in the language registry (``babelvlm.langs``); this table adds what
extraction needs on top of them, one row per registry code:

- ``yes`` / ``no``: further words that answer yes / no (negated verbs, "there is none", ...);
- ``yes_weak``: affirmations built on a negative word ("没错", "間違いない", "sans aucun doute",
  "there is no doubt"): yes when the answer has no other yes/no word, skipped when it has one;
- ``hedge``: phrases that mean "I don't know" ("no idea", "Keine Ahnung", "Понятия не имею") - an answer
  containing one is unknown, never guessed;
- ``neutral``: compounds that contain a yes/no word but answer nothing ("但是", "yes or no", "not only");
  they are matched (longest first) and skipped;
- ``leading``: words that count only as the first word of an answer (French/Spanish/Italian "si" also
  means "if" / "oneself" inside a sentence);
- ``false_friends``: English rows' phrases that are ordinary words here: like ``leading``, they count
  only as the first word (Portuguese "no" = "in the": "um gato no sofá"; an English "No." still counts);
- ``cue``: phrases that introduce the final answer ("the answer is", "答案是", "Antwort:");
- ``option``: words naming an option ("option", "选项", "Antwort"), so "option B" counts as a mention;
- ``conj``: words joining several option letters ("A and B", "A或B", "A와 B") - several letters are unknown;
- ``reject_before`` / ``reject_after``: words that reject the letter they precede ("not B", "不是B") or
  follow in its clause ("B is wrong", "B不对"); ``reject_whole``: a negated copula that rejects only as the
  whole clause after the letter ("B is not.", "Bではない", "B değil" - not "B is not a mammal");
  ``accept_after``: words marking a letter right ("(B) is correct", "B是对的").

Every entry is written as it looks after ``babelvlm.text.normalize`` (NFKC + casefold). English rows
apply to every language; letters and their context words apply whatever the prompt language, because
models drift languages. ``data/answer_letters.json`` maps option labels in other scripts (Cyrillic,
Arabic, katakana) onto Latin option letters.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any, TypedDict


class AnswerWords(TypedDict, total=False):
    """The phrase lists of one language (all optional)."""

    yes: tuple[str, ...]
    no: tuple[str, ...]
    yes_weak: tuple[str, ...]
    hedge: tuple[str, ...]
    neutral: tuple[str, ...]
    leading: tuple[str, ...]
    false_friends: tuple[str, ...]
    cue: tuple[str, ...]
    option: tuple[str, ...]
    conj: tuple[str, ...]
    reject_before: tuple[str, ...]
    reject_after: tuple[str, ...]
    reject_whole: tuple[str, ...]
    accept_after: tuple[str, ...]


class ScriptLetters(TypedDict):
    """Option labels of one script: the character range, the unambiguous map, the labels never mapped."""

    chars: str
    map: dict[str, str]
    ambiguous: dict[str, str]
    note: str


def _load(name: str) -> Any:
    """A JSON file of this package's ``data`` folder."""
    return json.loads(resources.files("babelvlm.metrics").joinpath(f"data/{name}").read_text("utf-8"))


_TABLE: dict[str, dict[str, list[str]]] = _load("answer_words.json")

ANSWER_WORDS: dict[str, AnswerWords] = {
    lang: AnswerWords(**{kind: tuple(phrases) for kind, phrases in row.items()})  # type: ignore[typeddict-item]
    for lang, row in _TABLE.items()
}
"""Registry code -> the phrase lists of that language."""


def every_language(kind: str) -> frozenset[str]:
    """The phrases of ``kind`` over all registry languages (letters and cues apply to any answer)."""
    return _every_language.get(kind, frozenset())


_every_language: dict[str, frozenset[str]] = {
    kind: frozenset(p for row in _TABLE.values() for p in row.get(kind, ()))
    for kind in AnswerWords.__annotations__
}

OTHER_SCRIPT_LETTERS: dict[str, ScriptLetters] = _load("answer_letters.json")["scripts"]
"""Script name -> its option labels (see ``data/answer_letters.json``)."""
