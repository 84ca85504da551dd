"""A hint for a language code that is not in the registry: the ISO 639-1 code the user most likely meant
(``jp`` -> ja, ``zh-CN`` -> zh, ``jpn`` -> ja, ``Japanese`` -> ja, ``fe`` -> fr). The aliases are data
(``lang_aliases.json``)."""

from __future__ import annotations

import difflib
import json
import re
from functools import cache
from importlib import resources
from typing import Any


@cache
def _aliases() -> dict[str, Any]:
    text = resources.files("babelvlm").joinpath("lang_aliases.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def language_hint(code: str) -> str | None:
    """One sentence saying what ``code`` is and which supported code was probably meant (or None)."""
    from babelvlm.langs import LANGUAGES

    raw = code.strip()
    low = raw.lower()
    aliases = _aliases()
    if low in LANGUAGES:
        return f"codes are lower case; did you mean {low}?"
    base = re.split(r"[-_]", low)[0]
    if base != low and base in LANGUAGES:
        return f"{raw} is a locale, not an ISO 639-1 code; did you mean {base}?"
    if low in aliases["country_codes"]:
        target = aliases["country_codes"][low]
        other = aliases["iso639_1_other_languages"].get(low)
        if other:
            return f"{raw} is the ISO 639-1 code of {other}, which is not supported; did you mean {target}?"
        return f"{raw} is not an ISO 639-1 code; did you mean {target}?"
    if low in aliases["iso639_2_3"]:
        return f"{raw} is an ISO 639-2/3 code; did you mean {aliases['iso639_2_3'][low]}?"
    for lang in LANGUAGES.values():
        if low in (lang.name.lower(), lang.native.lower()):
            return f"{raw} is a language name; did you mean {lang.code}?"
    close = difflib.get_close_matches(low, list(LANGUAGES), n=1, cutoff=0.5)
    return f"did you mean {close[0]}?" if close else None
