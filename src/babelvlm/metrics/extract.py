"""Multilingual answer extraction (SPEC section 6): yes/no and multiple-choice option letters.

Peers match English words only; here every registry language has its own phrase table
(``babelvlm.langs`` yes/no words plus ``data/answer_words.json``). Both extractors are conservative:
hedged, contradictory or ambiguous answers give ``None`` (scored wrong by the tasks), never a guess and
never a random option. An answer in another registry language than the prompt's ("Oui" to an English
prompt, "はい" to a Chinese one) is read too, and ``read_yes_no`` says which language it was in (Parrot's
"multilingual erosion"). Patterns are compiled once per language / option set.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Literal

from babelvlm.errors import DataError
from babelvlm.langs import LANGUAGES, get_language
from babelvlm.metrics.answer_words import ANSWER_WORDS
from babelvlm.metrics.option_letters import extract_choice
from babelvlm.metrics.phrase_regex import bounded_phrases
from babelvlm.text.normalize import check_text, normalize

__all__ = ["YesNoReading", "extract_choice", "extract_yes_no", "read_yes_no"]

YesNo = Literal["yes", "no"]
_POLARITY: dict[str, YesNo] = {"yes": "yes", "no": "no"}

_NON_WORD_GAP = re.compile(r"[\W_]*")
_PUNCT_IN_GAP = re.compile(r"[^\w\s]")
_WORD = re.compile(r"\w")
# Which script a text is in, to read an answer in another registry language only where it can be one.
_SCRIPT = {
    "kana": re.compile(r"[\u3040-\u30ff]"),
    "han": re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]"),
    "Kore": re.compile(r"[\u1100-\u11ff\u3130-\u318f\uac00-\ud7af]"),
    "Cyrl": re.compile(r"[\u0400-\u04ff]"),
    "Arab": re.compile(r"[\u0600-\u06ff]"),
    "Latn": re.compile(r"[A-Za-z\u00c0-\u024f]"),
}


@dataclass(frozen=True)
class YesNoReading:
    """What a yes/no answer says: ``answer`` ("yes", "no" or None) and ``language``, the registry language
    whose words decided it (None when nothing did); ``other_language`` when that is not the prompt's."""

    answer: YesNo | None
    language: str | None
    prompt_lang: str

    @property
    def other_language(self) -> bool:
        return self.language is not None and self.language != self.prompt_lang


@dataclass(frozen=True)
class _PhraseMatcher:
    """One compiled alternation of every phrase of a language, longest first, with its kinds."""

    pattern: re.Pattern[str]
    kinds: dict[str, str]
    sources: dict[str, str]
    """Phrase -> the registry language it comes from (the prompt's own language wins a tie)."""
    leading_only: frozenset[str]
    hedge: re.Pattern[str]
    """Hedges alone, searched first: "there is no way to tell" must not read as "there is no"."""
    negators: tuple[str, ...]
    """The no-words with punctuation stripped, to spot a negated option text ("not a cat", "不是猫")."""


# Languages whose particles and copulas attach to the answer word ("아니요입니다"): left boundary only.
_SUFFIXING = frozenset({"ko"})


def _phrase_kinds(codes: tuple[str, ...]) -> tuple[dict[str, str], dict[str, str]]:
    """Phrase -> kind and phrase -> source language over ``codes`` (later codes win a tie)."""
    kinds: dict[str, str] = {}
    sources: dict[str, str] = {}
    for code in codes:
        row = get_language(code)
        words = ANSWER_WORDS.get(code, {})
        for kind, phrases in (
            ("yes", row.yes + words.get("yes", ())),
            ("no", row.no + words.get("no", ())),
            ("yes", words.get("leading", ())),
            ("yes_weak", words.get("yes_weak", ())),
            ("cue", words.get("cue", ())),
            ("neutral", words.get("neutral", ())),
            ("hedge", words.get("hedge", ())),
        ):
            for phrase in phrases:
                kinds[normalize(phrase, code)] = kind
                sources[normalize(phrase, code)] = code
    return kinds, sources


@cache
def _yes_no_matcher(lang: str, with_english: bool = True) -> _PhraseMatcher:
    """Compile the yes/no/hedge/neutral/cue phrases of ``lang`` (English rows included unless asked)."""
    language = get_language(lang)
    kinds, sources = _phrase_kinds(("en", lang) if with_english and lang != "en" else (lang,))
    own = ANSWER_WORDS.get(lang, {})
    leading = frozenset(normalize(p, lang) for p in own.get("leading", ()) + own.get("false_friends", ()))
    suffixing = lang in _SUFFIXING
    hedges = {p for p, k in kinds.items() if k == "hedge"}
    negators = {normalize(p, lang, strip_punct=True) for p, k in kinds.items() if k == "no"}
    return _PhraseMatcher(
        re.compile(bounded_phrases(kinds, language.spaced, suffixing)),
        kinds,
        sources,
        leading,
        re.compile(bounded_phrases(hedges, language.spaced, suffixing)),
        tuple(negators - {""}),
    )


def _check_lang(lang: object) -> str:
    if not isinstance(lang, str):
        raise DataError(
            f"expected a language code, got {type(lang).__name__}",
            field="lang",
            fix="pass an ISO 639-1 code such as 'en' or 'ja'",
        )
    get_language(lang)
    return lang


def _merge_negations(text: str, hits: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Fold "not correct" / "nicht richtig" / "doğru değil" (a no-word next to a yes-word) into "no"."""
    merged: list[tuple[int, int, str]] = []
    i = 0
    while i < len(hits):
        start, end, kind = hits[i]
        if i + 1 < len(hits) and {kind, hits[i + 1][2]} == {"yes", "no"}:
            gap = text[end : hits[i + 1][0]]
            close = (
                len(gap.split()) <= 1 and not _PUNCT_IN_GAP.search(gap) if kind == "no" else not gap.strip()
            )
            if close:
                merged.append((start, hits[i + 1][1], "no"))
                i += 2
                continue
        merged.append((start, end, kind))
        i += 1
    return merged


def _decide_yes_no(text: str, hits: list[tuple[int, int, str]]) -> YesNo | None:
    """Cue ("the answer is no") > leading word ("Yes, ...") > a single polarity; else unknown."""
    polar = _merge_negations(text, [h for h in hits if h[2] in ("yes", "no")])
    if not polar:
        return None
    for _cue_start, cue_end, kind in reversed(hits):
        if kind != "cue":
            continue
        for start, _end, pol in polar:
            if start >= cue_end:
                if len(text[cue_end:start]) <= 4 and _NON_WORD_GAP.fullmatch(text[cue_end:start]):
                    return _POLARITY[pol]
                break
    first_start, _, first_kind = polar[0]
    if not _WORD.search(text[:first_start]):
        return _POLARITY[first_kind]
    kinds = {kind for _, _, kind in polar}
    return _POLARITY[kinds.pop()] if len(kinds) == 1 else None


_Hit = tuple[int, int, str, str]
"""start, end, kind, phrase"""


def _scan(norm: str, matcher: _PhraseMatcher) -> list[_Hit] | None:
    """The cue and polar phrases of ``norm`` in order (weak affirmations count only alone); None = hedged."""
    if matcher.hedge.search(norm):
        return None
    hits: list[_Hit] = []
    seen_polar = False
    for m in matcher.pattern.finditer(norm):
        phrase = m.group(0)
        kind = matcher.kinds[phrase]
        if kind == "hedge":
            return None
        if kind == "neutral":
            continue
        if phrase in matcher.leading_only and (seen_polar or _WORD.search(norm[: m.start()])):
            continue
        seen_polar = seen_polar or kind != "cue"
        hits.append((m.start(), m.end(), kind, phrase))
    if any(kind in ("yes", "no") for _, _, kind, _ in hits):
        return [h for h in hits if h[2] != "yes_weak"]
    return [(s, e, "yes" if k == "yes_weak" else k, p) for s, e, k, p in hits]


def _fits_script(code: str, text: str, own: bool) -> bool:
    """Whether ``text`` can be in language ``code``: Chinese has no kana, Japanese (unless it is the
    prompt's language, where kanji-only answers occur) has kana, other scripts need their letters."""
    script = get_language(code).script
    if script == "Hans":
        return bool(_SCRIPT["han"].search(text)) and not _SCRIPT["kana"].search(text)
    if script == "Jpan":
        return bool(_SCRIPT["kana"].search(text) or (own and _SCRIPT["han"].search(text)))
    pattern = _SCRIPT.get(script)
    return pattern is None or bool(pattern.search(text))


def _distinctive(norm: str, hits: list[_Hit]) -> bool:
    """A Latin-script foreign reading counts when it starts the answer ("Oui, ...") or rests on phrases
    too long to be chance ("il n'y a pas"), not on a short word inside a sentence ("hay", "var")."""
    polar = [h for h in hits if h[2] in ("yes", "no")]
    if polar and not _WORD.search(norm[: polar[0][0]]):
        return True
    return all(" " in phrase or len(phrase) >= 5 for _, _, _, phrase in polar)


def _read_foreign(norm: str, lang: str) -> YesNoReading:
    """Read an answer whose words are in no language of the prompt's matcher: every other registry
    language whose script fits; a hedge in any, or two languages disagreeing, is unknown."""
    found: dict[YesNo, str] = {}
    for code in LANGUAGES:
        if code in (lang, "en") or not _fits_script(code, norm, own=False):
            continue
        hits = _scan(norm, _yes_no_matcher(code, with_english=False))
        if hits is None:
            return YesNoReading(None, code, lang)
        if get_language(code).script == "Latn" and not _distinctive(norm, hits):
            continue
        answer = _decide_yes_no(norm, [(s, e, k) for s, e, k, _ in hits])
        if answer is not None:
            found.setdefault(answer, code)
    if len(found) != 1:
        return YesNoReading(None, None, lang)
    answer, code = next(iter(found.items()))
    return YesNoReading(answer, code, lang)


def read_yes_no(text: str, lang: str = "en") -> YesNoReading:
    """The yes/no an answer gives and the registry language it gives it in (see ``extract_yes_no``)."""
    check_text(text, "prediction")
    _check_lang(lang)
    norm = normalize(text, lang)
    if not norm:
        return YesNoReading(None, None, lang)
    own = _fits_script(lang, norm, own=True)
    matcher = _yes_no_matcher(lang if own else "en")
    hits = _scan(norm, matcher)
    if hits is None:
        return YesNoReading(None, None, lang)
    polar_sources = {matcher.sources[p] for _, _, k, p in hits if k in ("yes", "no")}
    if not polar_sources:
        return _read_foreign(norm, lang)
    answer = _decide_yes_no(norm, [(s, e, k) for s, e, k, _ in hits])
    if answer is None:
        return YesNoReading(None, None, lang)
    return YesNoReading(answer, lang if lang in polar_sources else "en", lang)


def extract_yes_no(text: str, lang: str = "en") -> YesNo | None:
    """Return "yes", "no" or None (hedged, contradictory or no answer) for a free-form answer in ``lang``.

    Negation ("not correct", "不是", "stimmt nicht") answers no; hedging ("I don't know", "No idea",
    "Keine Ahnung", "不确定") answers None; affirmations built on a negative word ("没错", "間違いない",
    "sans aucun doute") answer yes when nothing else does; a phrase right after an answer cue or at the
    start decides conflicts; otherwise all yes/no words must agree. An answer in another registry language
    is read with that language's words. Unknown stays unknown (SPEC section 6).
    """
    return read_yes_no(text, lang).answer
