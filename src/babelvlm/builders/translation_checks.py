"""Checks of one translated text (Multi-PixMo's and XT-VQA's translation quality control; SPEC 8, 11).

Each translation gets: eq. 1's theta against its back-translation (``backtranslation.theta``), the chrF of
the back-translation against the source (sacrebleu, 0-100), and the language that language ID reads. It is
flagged for a person when the translation is the source unchanged, is in another language than asked,
or scores below the theta or chrF threshold. Flags never drop an item: a person decides.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from babelvlm.text.langid import detect_language
from babelvlm.text.normalize import normalize

THETA_THRESHOLD = 0.8
CHRF_THRESHOLD = 30.0
LANGID_MIN_WORDS = 3
"""Language ID reads single words badly (SPEC 7); shorter texts are not language-checked."""


@dataclass
class CheckedText:
    """A translated text with its back-translation, scores and review flags."""

    item: str
    field: str
    source: str
    translation: str
    back_translation: str | None = None
    theta: float | None = None
    chrf: float | None = None
    detected_lang: str | None = None
    flags: list[str] = dataclasses.field(default_factory=list)


def chrf(hypothesis: str, reference: str) -> float:
    """Sentence chrF (sacrebleu defaults: character 6-grams, beta 2), 0-100."""
    from sacrebleu.metrics.chrf import CHRF

    return float(CHRF().sentence_score(hypothesis, [reference]).score)


def language_flag(text: str, target: str) -> tuple[str | None, str | None]:
    """(detected language, flag) for a translation meant to be in ``target``."""
    if len(text.split()) < LANGID_MIN_WORDS and target not in ("zh", "ja", "ko"):
        return None, None
    if target in ("zh", "ja", "ko") and len(text) < 4:
        return None, None
    detected = detect_language(text)
    if detected is not None and detected != target:
        return detected, f"wrong language: reads as '{detected}', asked '{target}'"
    return detected, None


def flag(
    checked: CheckedText,
    source_lang: str,
    target_lang: str,
    theta_threshold: float = THETA_THRESHOLD,
    chrf_threshold: float = CHRF_THRESHOLD,
) -> CheckedText:
    """Fill ``detected_lang`` and ``flags`` from the scores already set on ``checked``."""
    lang_key = target_lang if target_lang in ("zh", "ja") else "en"
    same = normalize(checked.translation, lang_key) == normalize(checked.source, lang_key)
    if same and source_lang != target_lang and any(c.isalpha() for c in checked.source):
        checked.flags.append("unchanged: the translation is the source text")
    checked.detected_lang, language = language_flag(checked.translation, target_lang)
    if language:
        checked.flags.append(language)
    if checked.back_translation is None:
        checked.flags.append("no back-translation (the back-translation call failed)")
    if checked.theta is not None and checked.theta < theta_threshold:
        checked.flags.append(f"theta {checked.theta:.3f} < {theta_threshold}")
    if checked.chrf is not None and checked.chrf < chrf_threshold:
        checked.flags.append(f"back-translation chrF {checked.chrf:.1f} < {chrf_threshold}")
    return checked
