"""The XPaperQA filters as pure functions (seed 001 Figure 2, eq. 2 and 3; Table 2's rows).

- confidence: keep a QA pair whose self-rated confidence is >= 7;
- similarity: drop a question whose Jaccard similarity J(A, B) = |A ∩ B| / |A ∪ B| (eq. 2, over its set of
  normalised word tokens) to an already kept question of the same paper exceeds 0.1;
- consistency: the re-answer must agree with the first answer: the same yes/no for yes-no questions, else
  a normalised edit distance d(a1, a2) / max(|a1|, |a2|) (eq. 3, Levenshtein via rapidfuzz) <= 0.5;
- balance: as many yes as no answers (Table 2, "final": the surplus of the larger side is dropped).
"""

from __future__ import annotations

from collections.abc import Sequence

from babelvlm.metrics.extract import extract_yes_no
from babelvlm.text.normalize import normalize
from babelvlm.text.tokenize import word_tokens

MIN_CONFIDENCE = 7
MAX_JACCARD = 0.1
MAX_EDIT_DISTANCE = 0.5


def question_tokens(question: str, lang: str) -> frozenset[str]:
    """The set of normalised word tokens of a question (CJK segmented by the language's tokenizer)."""
    return frozenset(word_tokens(normalize(question, lang, strip_punct=True), lang))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    """J(A, B) = |A ∩ B| / |A ∪ B| (eq. 2); 0 for two empty sets."""
    union = a | b
    return len(a & b) / len(union) if union else 0.0


def confidence_reason(confidence: int, minimum: int = MIN_CONFIDENCE) -> str | None:
    """None when the confidence is high enough, else the drop reason."""
    return None if confidence >= minimum else f"confidence < {minimum}"


def near_duplicate_reason(
    tokens: frozenset[str], kept: Sequence[frozenset[str]], maximum: float = MAX_JACCARD
) -> str | None:
    """None when ``tokens`` is not too similar to any kept question, else the drop reason."""
    for other in kept:
        if jaccard(tokens, other) > maximum:
            return f"Jaccard similarity > {maximum} to a kept question"
    return None


def edit_distance_ratio(first: str, second: str, lang: str) -> float:
    """Levenshtein distance of the normalised answers divided by the longer length (0 = identical)."""
    from rapidfuzz.distance import Levenshtein

    a, b = normalize(first, lang, strip_punct=True), normalize(second, lang, strip_punct=True)
    return float(Levenshtein.normalized_distance(a, b))


def consistency_reason(
    answer_type: str, first: str, second: str, lang: str, maximum: float = MAX_EDIT_DISTANCE
) -> str | None:
    """None when the re-answer agrees with the first answer, else the drop reason."""
    if answer_type == "yes-no":
        a, b = extract_yes_no(first, lang), extract_yes_no(second, lang)
        if a is None or b is None:
            return "inconsistent: a yes-no answer is neither yes nor no"
        return None if a == b else "inconsistent: the re-answer flips yes/no"
    if edit_distance_ratio(first, second, lang) > maximum:
        return f"inconsistent: edit distance of the re-answer > {maximum}"
    return None


def balance_yes_no(answers: Sequence[str | None]) -> list[bool]:
    """Which yes-no items to keep so that yes and no are equally many: the first min(#yes, #no) of each
    side in order; items that are neither (None) are not kept."""
    limit = min(sum(a == "yes" for a in answers), sum(a == "no" for a in answers))
    seen = {"yes": 0, "no": 0}
    keep = []
    for answer in answers:
        if answer in seen and seen[answer] < limit:
            seen[answer] += 1
            keep.append(True)
        else:
            keep.append(False)
    return keep
