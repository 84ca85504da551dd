"""Multiple-choice extraction (SPEC section 6): which option letter a free-form answer chooses, or None.

A bare letter in any bracket or width, an answer cue in any registry language ("答案是B", "La réponse est
C"), a leading "B. ...", a unique mention or a unique restated option text. Conservative: several letters
("A and B", "答案是A和B"), a letter the answer rejects ("Not B", "Neither A nor B", "Bではない") and two
letters marked right give None; a rejected letter is never returned. Option labels in other scripts
(Cyrillic Б, Arabic ب, katakana イ; ``data/answer_letters.json``) map to Latin letters where unambiguous.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache, lru_cache, partial

from babelvlm.errors import DataError
from babelvlm.langs import get_language
from babelvlm.metrics.answer_words import OTHER_SCRIPT_LETTERS, every_language
from babelvlm.metrics.choice_context import LetterContext, letter_context
from babelvlm.metrics.phrase_regex import trie_pattern
from babelvlm.text.normalize import check_text, normalize

_BOXED = re.compile(r"\\boxed\{([^{}]*)\}")  # LaTeX "\boxed{B}" answers
_OPEN = r"[\s(\[<{\"'`*「『【〔]*"
_CLOSE = r"[\s)\]>}\"'`*」』】〕.:,;、。!?]*"
# A letter is not part of a word of Latin or Cyrillic letters ("C'est", "D'accord", "Вариант" are words);
# CJK may touch it ("答案是B").
_EDGE = r"(?![A-Za-z0-9\u0400-\u04ff])(?!['’][A-Za-z])"
_BEFORE = r"(?<![A-Za-z0-9\u0400-\u04ff])"
# Capital letters that are also words ("A cat", "I think", Italian "E", Portuguese "O", Spanish "Y"): a bare
# one followed by a lowercase word is that word, unless the word is a copula or conjunction ("A is right").
_WORD_LETTERS = frozenset("AIEOY")
_ARTICLES = frozenset("AO")  # Portuguese / Spanish / Italian articles before a letter: "A C", "O B"
# fmt: off
_FOLLOWERS = frozenset({
    "is", "was", "would", "should", "seems", "appears", "matches", "fits", "describes", "est", "ist",
    "es", "è", "é", "är", "or", "and", "ou", "et", "oder", "und", "o", "y", "e", "oppure", "veya", "ya",
    "eller", "of", "nor", "ni", "né", "nem", "noch", "are", "sont", "sind", "son", "sono", "são",
})
# fmt: on


@dataclass(frozen=True)
class _ChoiceMatcher:
    """Compiled letter patterns for one option set."""

    whole: re.Pattern[str]
    cue: re.Pattern[str]
    mention: re.Pattern[str]
    leading: re.Pattern[str]


def _first_chars(phrases: frozenset[str]) -> str:
    """A lookahead on the phrases' first characters (either case): lets ``re`` skip positions by a
    character-set scan before it tries a case-insensitive alternation (about twice as fast)."""
    chars = {c for phrase in phrases for c in (phrase[0], phrase[0].upper(), phrase[0].lower())}
    return f"(?=[{re.escape(''.join(sorted(chars)))}])"


@lru_cache(maxsize=1024)
def _choice_matcher(keys: tuple[str, ...]) -> _ChoiceMatcher:
    """Compile the letter patterns for option ``keys`` (e.g. A-D) with every language's answer cues."""
    ordered = sorted(keys, key=len, reverse=True)
    upper = "|".join(re.escape(k.upper()) for k in ordered)
    lower = "|".join(re.escape(k.lower()) for k in ordered if k.lower() != k.upper())
    any_case = f"{upper}|{lower}" if lower else upper
    cues, options = trie_pattern(every_language("cue")), trie_pattern(every_language("option"))
    return _ChoiceMatcher(
        whole=re.compile(rf"{_OPEN}(?:(?i:{options})\s*[:：]?\s*)?{_OPEN}(?P<k>{any_case}){_CLOSE}"),
        cue=re.compile(
            rf"{_first_chars(every_language('cue'))}(?i:{cues})\s*(?:(?i:{options})\s*)?[\s:=\-–—*\"'`(\[<「『【]*"
            rf"(?:(?P<u>{upper}){_EDGE}|(?P<l>{lower or upper}){_EDGE}(?!\s+[A-Za-z]))"
        ),
        mention=re.compile(
            rf"{_BEFORE}(?:(?P<b>[(\[<{{「【](?:{any_case})[)\]>}}」】])"
            rf"|(?i:(?:{options})\s*)(?P<o>{upper}){_EDGE}"
            rf"|(?P<u>{upper}){_EDGE}(?:(?=(?P<after>\s+\S+)))?)"
        ),
        leading=re.compile(rf"{_OPEN}(?P<k>{any_case})\s*[.):：\]】]"),
    )


@cache
def _script_labels() -> tuple[tuple[re.Pattern[str], re.Pattern[str], dict[str, str]], ...]:
    """Per script of ``answer_letters.json``: its characters, a standalone-label pattern, the map."""
    compiled = []
    for script in OTHER_SCRIPT_LETTERS.values():
        chars, table = script["chars"], script["map"]
        labels = "|".join(re.escape(k) for k in sorted(table, key=len, reverse=True))
        label = re.compile(
            rf"(?<![{chars}])(?P<open>[(\[（【「]\s*)?(?P<l>{labels})(?P<close>\s*[)\]）】」])?(?![{chars}])"
        )
        compiled.append((re.compile(f"[{chars}]"), label, table))
    return tuple(compiled)


_WORD_AFTER = re.compile(r"\s+[^\W\d_]")


def _latin_labels(text: str, keys: tuple[str, ...]) -> str:
    """Replace option labels written in another script by their Latin option letter, where the label
    stands alone and looks like one: bracketed, or not followed by a word ("Б." or "(ب)", not "С учетом")."""
    for present, label, table in _script_labels():
        if present.search(text):
            text = label.sub(partial(_latin_label, text=text, keys=keys, table=table), text)
    return text


def _latin_label(m: re.Match[str], text: str, keys: tuple[str, ...], table: dict[str, str]) -> str:
    target = table[m.group("l")]
    bracketed = m.group("open") is not None or m.group("close") is not None
    if _key_of(target, keys) is None or (not bracketed and _WORD_AFTER.match(text, m.end())):
        return m.group(0)
    return f"{m.group('open') or ''}{target}{m.group('close') or ''}"


def _check_options(options: object) -> dict[str, str]:
    if not isinstance(options, Mapping) or not options:
        raise DataError(
            "options must be a non-empty dict of letter -> option text",
            field="options",
            fix="pass e.g. {'A': 'a cat', 'B': 'a dog'}",
        )
    for key, value in options.items():
        if not isinstance(key, str) or not key.strip() or not isinstance(value, str):
            raise DataError(
                f"option {key!r}: keys and texts must be strings",
                field="options",
                fix="drop missing options (NaN) before extraction; use '' for an empty text",
            )
    return dict(options)


def _key_of(letter: str, keys: tuple[str, ...]) -> str | None:
    """Map a matched letter (any case) back to its option key."""
    for key in keys:
        if letter == key or letter.lower() == key.lower():
            return key
    return None


def _is_lower(char: str, latin: bool = True) -> bool:
    """Whether ``char`` starts a lower-case word (after an article "A", "O", "E", or a Cyrillic key
    letter that is also a word: "В изображении")."""
    if not char or not char.islower():
        return False
    return not latin or unicodedata.name(char, "").startswith("LATIN")


def _mentions(text: str, matcher: _ChoiceMatcher, keys: tuple[str, ...]) -> list[tuple[int, int, str]]:
    """Letters mentioned as "(B)", "option B" or a bare capital (an English article "A cat" excluded),
    with their spans."""
    found: list[tuple[int, int, str]] = []
    for m in matcher.mention.finditer(text):
        if m.group("b"):
            letter = m.group("b")[1:-1]
        elif m.group("o"):
            letter = m.group("o")
        else:
            letter = m.group("u")
            after = (m.group("after") or "").strip()
            word = after.strip(".,:;!?")
            follower = word not in _FOLLOWERS and word not in every_language("conj")
            if (letter in _WORD_LETTERS or not letter.isascii()) and (
                (_is_lower(after[:1], latin=letter.isascii()) and follower)
                or (letter in _ARTICLES and _key_of(word, keys) is not None and word.isupper())
            ):
                continue  # "A cat", "A C está errada" (Portuguese "the C"); "A en B", "A och C" are letters
        key = _key_of(letter, keys)
        if key is not None:
            found.append((m.start(), m.end(), key))
    return found


def _affirmed(norm: str, needle: str, negators: tuple[str, ...], spaced: bool) -> bool:
    """Whether ``needle`` occurs in ``norm`` at least once not right after a no-word ("not a cat")."""
    start = norm.find(needle)
    while start >= 0:
        before = norm[:start].rstrip()
        if not any(before.endswith(f" {neg}" if spaced else neg) for neg in negators):
            return True
        start = norm.find(needle, start + 1)
    return False


def _matched_option_texts(text: str, options: dict[str, str], lang: str) -> set[str]:
    """Keys whose option text occurs (not negated) in ``text``; texts contained in another match drop."""
    from babelvlm.metrics.extract import _yes_no_matcher  # the no-words of the yes/no tables

    spaced = get_language(lang).spaced
    negators = _yes_no_matcher(lang).negators
    norm = f" {normalize(text, lang, strip_punct=True)} "
    hits: dict[str, str] = {}
    for key, value in options.items():
        option = normalize(value, lang, strip_punct=True)
        if not option:
            continue
        needle = f" {option} " if spaced or option.isascii() else option
        if _affirmed(norm, needle, negators, spaced or option.isascii()):
            hits[key] = option
    return {k for k, v in hits.items() if not any(v != w and v in w for w in hits.values())}


def _one(letters: set[str]) -> str | None:
    return next(iter(letters)) if len(letters) == 1 else None


def _decide(
    text: str, matcher: _ChoiceMatcher, keys: tuple[str, ...], context: LetterContext
) -> tuple[bool, str | None]:
    """Explicit letters (cue, "X is correct") > leading "B." > a unique mention; a rejected letter never.
    The flag says whether the answer named any letter at all (else its option text may decide)."""
    cued: set[str] = set()
    for m in matcher.cue.finditer(text):
        start = m.start("u") if m.group("u") else m.start("l")
        key = _key_of(m.group("u") or m.group("l"), keys)
        if key is not None:
            cued |= context.group_at(start, key)
    explicit = cued | context.accepted
    if explicit:
        return True, _one(explicit - context.rejected)
    leading = matcher.leading.match(text)
    if leading:
        key = _key_of(leading.group("k"), keys)
        alone = key is not None and context.group_at(leading.start("k"), key) == {key}
        return True, key if alone and key not in context.rejected else None
    mentioned = {key for _, _, key in context.mentions}
    return bool(mentioned), _one(mentioned - context.rejected)


def extract_choice(text: str, options: Mapping[str, str], lang: str = "en") -> str | None:
    """Return the option key (e.g. "B") a free-form answer chooses, or None when unknown or ambiguous.

    Accepts a bare letter in any bracket, width or script ("B", "(B)", "（B）", "Ⓑ", "Б."), an answer cue
    ("答案是B", "La réponse est C", "Antwort: D"), a leading "B. ...", a unique letter mention, or a unique
    restated option text. Several letters, a rejected letter ("Not B") or two letters marked right give
    None; there is no random fallback and the result is always one of ``options`` or None.
    """
    check_text(text, "prediction")
    get_language(lang) if isinstance(lang, str) else _bad_lang(lang)
    opts = _check_options(options)
    keys = tuple(opts)
    matcher = _choice_matcher(keys)
    nfkc = _BOXED.sub(r" \1 ", unicodedata.normalize("NFKC", text)).strip()
    if not nfkc:
        return None
    if not nfkc.isascii():
        nfkc = _latin_labels(nfkc, keys)
    whole = matcher.whole.fullmatch(nfkc)
    if whole:
        return _key_of(whole.group("k"), keys)
    mentions = _mentions(nfkc, matcher, keys)
    named, key = _decide(nfkc, matcher, keys, letter_context(nfkc, mentions))
    return key if named else _one(_matched_option_texts(nfkc, opts, lang))


def _bad_lang(lang: object) -> None:
    raise DataError(
        f"expected a language code, got {type(lang).__name__}",
        field="lang",
        fix="pass an ISO 639-1 code such as 'en' or 'ja'",
    )
