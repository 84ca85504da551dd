"""The papers' central claims, each judged from the organism's numbers and their 95 % CIs.

Accuracy asks for the answer word in the question's language; concept accuracy accepts the right answer
in any language. The concept-accuracy rows were added after the first full run showed arm C answering
non-English questions in English: MVCL-MI trains target-language questions with source-language answers
(XT-VQA's text-rich images are answered in their text's language), so whether the model *sees* better is
concept accuracy, while accuracy also asks for the question's language.

A claim *held* when the CI of its measure lies wholly on the claimed side of zero (or of the stated
threshold), was *reversed* when it lies wholly on the other side, and is *inconclusive* otherwise.
The rule is fixed before the numbers are seen; nothing here is tuned to make a claim hold.
"""

from __future__ import annotations

from typing import Any

PARROT = "Parrot: Multilingual Visual Instruction Tuning"
PIXMO = "Multilingual Training and Evaluation Resources for Vision-Language Models (Multi-PixMo)"
XTVQA = "Cross-Lingual Text-Rich Visual Comprehension: An Information Theory Perspective"


def verdict(measure: dict[str, Any] | None, sign: int, threshold: float = 0.0) -> str:
    """``held`` / ``reversed`` / ``inconclusive`` for a claim that ``measure`` is above (``sign`` +1) or
    below (-1) ``threshold``; ``not measured`` without a CI."""
    if not measure or not measure.get("ci"):
        return "not measured"
    lo, hi = (float(x) for x in measure["ci"])
    if sign > 0:
        return "held" if lo > threshold else "reversed" if hi < threshold else "inconclusive"
    return "held" if hi < threshold else "reversed" if lo > threshold else "inconclusive"


def _claim(
    paper: str,
    text: str,
    measure_name: str,
    measure: dict[str, Any] | None,
    sign: int,
    threshold: float = 0.0,
) -> dict[str, Any]:
    return {
        "paper": paper,
        "claim": text,
        "measure": measure_name,
        "value": (measure or {}).get("value"),
        "ci": (measure or {}).get("ci"),
        "verdict": verdict(measure, sign, threshold),
    }


def judge_claims(arms: dict[str, Any]) -> list[dict[str, Any]]:
    """Every claim the arms present can test (an arm left out leaves its claims out)."""
    a = arms["A"]
    claims = [
        _claim(
            PARROT,
            "English-centric instruction tuning leaves a gap: non-English accuracy below English",
            "arm A: English accuracy minus the mean of the other languages",
            a["gap"],
            +1,
        ),
        _claim(
            PARROT,
            "answers drift to English: most non-English questions are not answered in their language",
            "arm A: non-English fidelity, held when below 0.5",
            a["non_english_fidelity"],
            -1,
            0.5,
        ),
        _claim(
            XTVQA,
            "cross-lingual questions activate less visual information (lower MI)",
            "arm A: English MI minus the mean MI of the other languages (nats)",
            a["mi_gap"],
            +1,
        ),
        _claim(
            XTVQA,
            "cross-lingual questions score lower, whatever the answer's language",
            "arm A: English concept accuracy minus the mean of the other languages",
            a["concept_gap"],
            +1,
        ),
    ]
    if "B" in arms:
        b = arms["B"]["change_vs_A"]
        claims += [
            _claim(
                PIXMO,
                "multilingual training data lifts non-English scores",
                "B - A: mean non-English accuracy",
                b["non_english_accuracy"],
                +1,
            ),
            _claim(PIXMO, "and transfers to English", "B - A: English accuracy", b["en_accuracy"], +1),
        ]
    if "C" in arms:
        c = arms["C"]["change_vs_A"]
        claims += [
            _claim(
                XTVQA,
                "MVCL-MI raises the visual information of cross-lingual questions",
                "C - A: mean non-English MI (nats)",
                c["non_english_mi"],
                +1,
            ),
            _claim(
                XTVQA,
                "MVCL-MI raises cross-lingual scores",
                "C - A: mean non-English accuracy",
                c["non_english_accuracy"],
                +1,
            ),
            _claim(
                XTVQA,
                "MVCL-MI raises cross-lingual scores, whatever the answer's language",
                "C - A: mean non-English concept accuracy",
                c["non_english_concept_accuracy"],
                +1,
            ),
        ]
    if "D" in arms:
        d = arms["D"]
        claims.append(
            _claim(
                PARROT,
                "the text-guided MoE with little multilingual data narrows the gap",
                "D - A: gap",
                d["change_vs_A"]["gap"],
                -1,
            )
        )
        if "change_vs_B" in d:
            claims.append(
                _claim(
                    PARROT,
                    "the MoE itself, beyond its multilingual data, narrows the gap",
                    "D - B: gap (same data, MoE added)",
                    d["change_vs_B"]["gap"],
                    -1,
                )
            )
    return claims
