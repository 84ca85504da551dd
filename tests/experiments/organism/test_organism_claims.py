"""Claim verdicts follow the CI's side of the threshold, fixed before any number is seen."""

from __future__ import annotations

from typing import Any

import pytest

from babelvlm.experiments.organism import claims


@pytest.mark.parametrize(
    ("ci", "sign", "threshold", "expected"),
    [
        ([0.1, 0.3], +1, 0.0, "held"),
        ([-0.3, -0.1], +1, 0.0, "reversed"),
        ([-0.1, 0.2], +1, 0.0, "inconclusive"),
        ([-0.3, -0.1], -1, 0.0, "held"),
        ([0.1, 0.4], -1, 0.5, "held"),
        ([0.4, 0.6], -1, 0.5, "inconclusive"),
        (None, +1, 0.0, "not measured"),
    ],
)
def test_verdict(ci: list[float] | None, sign: int, threshold: float, expected: str) -> None:
    assert claims.verdict({"value": 0.0, "ci": ci}, sign, threshold) == expected


def _m(value: float, lo: float, hi: float) -> dict[str, Any]:
    return {"value": value, "ci": [lo, hi], "n": 10}


def test_every_arm_adds_its_claims_and_names_the_paper() -> None:
    keys = ("gap", "en_accuracy", "non_english_accuracy", "non_english_concept_accuracy", "non_english_mi")
    change = {k: _m(0.1, 0.05, 0.2) for k in keys}
    arms = {
        "A": {
            "gap": _m(0.5, 0.4, 0.6),
            "non_english_fidelity": _m(0.1, 0.0, 0.2),
            "mi_gap": _m(0.3, 0.1, 0.5),
            "concept_gap": _m(0.2, 0.1, 0.3),
        },
        "B": {"change_vs_A": change},
        "C": {"change_vs_A": change},
        "D": {
            "change_vs_A": {**change, "gap": _m(-0.2, -0.3, -0.1)},
            "change_vs_B": {"gap": _m(0.0, -0.1, 0.1)},
        },
    }
    judged = claims.judge_claims(arms)
    assert len(judged) == 11
    assert [c["verdict"] for c in judged] == ["held"] * 10 + ["inconclusive"]
    assert {c["paper"] for c in judged} == {claims.PARROT, claims.PIXMO, claims.XTVQA}
    assert len(claims.judge_claims({"A": arms["A"]})) == 4
