"""MMMB's Yes/No pair accuracy (Parrot: Multilingual Visual Instruction Tuning, section 2.4 and Figure 10;
SPEC 4).

MMMB asks two Yes/No questions about each image, one whose answer is Yes and one whose answer is No; an
image counts as right only when both are answered right. Rows pair when they show the same image (same
image bytes, or a reference to the same row) in the same language and their answers are one Yes and one
No (the answer option's text read with the language's yes/no words). Everything else is unpaired: those
rows are counted and stay in the per-row ``accuracy`` only. A pair with a failed request is left out and
counted, never scored as wrong. Rotated copies (``-T circular=true``) are not paired; only their originals.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass
from typing import Any

from babelvlm.schema import SampleScore, TaskResult

ROTATION = 10**6


@dataclass
class PairCount:
    """Pair accuracy of one language (or all languages pooled)."""

    n_pairs: int = 0
    n_pairs_right: int = 0
    n_pairs_failed: int = 0
    """Pairs with a failed request: left out of pair_accuracy."""
    n_unpaired_rows: int = 0
    """Rows that do not form a Yes/No pair (only in per-row accuracy)."""

    @property
    def pair_accuracy(self) -> float | None:
        return self.n_pairs_right / self.n_pairs if self.n_pairs else None

    def add(self, other: PairCount) -> None:
        self.n_pairs += other.n_pairs
        self.n_pairs_right += other.n_pairs_right
        self.n_pairs_failed += other.n_pairs_failed
        self.n_unpaired_rows += other.n_unpaired_rows

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "pair_accuracy": self.pair_accuracy}


def yes_no_of(answer_text: str | None, lang: str) -> str | None:
    """The Yes/No label of a row's right answer text ("Yes", "Sim", "Да", ...), None when it is neither."""
    from babelvlm.errors import BabelVLMError
    from babelvlm.metrics import extract_yes_no

    if not answer_text:
        return None
    try:
        label = extract_yes_no(answer_text, lang)
    except BabelVLMError:  # a language outside the registry: read the label in English
        label = extract_yes_no(answer_text, "en")
    return label if label is not None else extract_yes_no(answer_text, "en")


def _is_rotated(s: SampleScore) -> bool:
    index = str(s.meta.get("index") or "")
    return bool(s.meta.get("rotation")) or (index.isdigit() and int(index) >= ROTATION)


def count_pairs(scored: list[SampleScore]) -> PairCount:
    """Pairs of one language's rows: same ``meta['image']``, exactly two rows, labels {yes, no}."""
    by_image: dict[str, list[SampleScore]] = defaultdict(list)
    count = PairCount()
    for s in scored:
        if _is_rotated(s):
            continue
        image = s.meta.get("image")
        if image is None:
            count.n_unpaired_rows += 1
        else:
            by_image[str(image)].append(s)
    for rows in by_image.values():
        labels = sorted(str(yes_no_of(r.meta.get("answer_text"), r.lang)) for r in rows)
        if len(rows) != 2 or labels != ["no", "yes"]:
            count.n_unpaired_rows += len(rows)
        elif any(r.failed for r in rows):
            count.n_pairs_failed += 1
        else:
            count.n_pairs += 1
            count.n_pairs_right += all(r.scores.get("accuracy") == 1.0 for r in rows)
    return count


def add_pair_accuracy(result: TaskResult, scored: list[SampleScore], headline: bool) -> TaskResult:
    """``pair_accuracy`` per language and pooled, ``extra['yes_no_pairs']`` with the counts; the headline
    (primary metric) when ``headline`` and at least one pair formed. Nothing is added without pairs,
    but the unpaired rows are still counted and said."""
    by_lang: dict[str, list[SampleScore]] = defaultdict(list)
    for s in scored:
        by_lang[s.lang].append(s)
    total = PairCount()
    per_lang: dict[str, dict[str, Any]] = {}
    for lang, rows in sorted(by_lang.items()):
        count = count_pairs(rows)
        total.add(count)
        per_lang[lang] = count.as_dict()
        if count.pair_accuracy is not None:
            result.by_language.setdefault(lang, {})["pair_accuracy"] = count.pair_accuracy
    if total.pair_accuracy is not None:
        result.scores["pair_accuracy"] = total.pair_accuracy
        if headline:
            result.primary_metric = "pair_accuracy"
    note = (
        f"{total.n_unpaired_rows} row(s) form no Yes/No pair (same image, answers Yes and No) and count "
        "only in the per-row accuracy"
        if total.n_unpaired_rows
        else "every row is in a Yes/No pair"
    )
    result.extra["yes_no_pairs"] = {
        **total.as_dict(),
        "by_language": per_lang,
        "note": note,
        "rule": "an image counts only if both of its questions (answers Yes and No) are answered right; "
        "a pair with a failed request is left out and counted",
    }
    return result
