"""Suggestions for language codes that are not in the registry (golden cases in tests/data)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from babelvlm.errors import UnknownNameError
from babelvlm.lang_suggest import language_hint
from babelvlm.langs import LANGUAGES, get_language, parse_langs

CASES = json.loads((Path(__file__).parent / "data" / "lang_hints.json").read_text(encoding="utf-8"))["cases"]


@pytest.mark.parametrize(("typed", "hint"), sorted(CASES.items()))
def test_golden_hints(typed: str, hint: str | None) -> None:
    assert language_hint(typed) == hint


def test_every_suggestion_is_a_supported_code() -> None:
    for typed, hint in CASES.items():
        if hint:
            assert hint.rstrip("?").split()[-1] in LANGUAGES, typed


def test_errors_carry_the_hint_and_the_known_codes() -> None:
    with pytest.raises(
        UnknownNameError,
        match=r"'jp': jp is not an ISO 639-1 code; did you mean ja\? \(known language codes: ar, de",
    ):
        parse_langs("en,jp")
    with pytest.raises(UnknownNameError, match=r"^unknown language code 'xx' \(known language codes: "):
        get_language("xx")


def test_other_unknown_names_suggest_the_closest() -> None:
    err = UnknownNameError("task", "mmbnech", ["mmbench", "mmmb", "babeltext"])
    assert str(err).startswith("unknown task 'mmbnech': did you mean mmbench? (known tasks: babeltext")
    assert "did you mean" not in str(UnknownNameError("task", "zzz", ["mmbench"]))
