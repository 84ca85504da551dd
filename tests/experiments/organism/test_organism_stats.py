"""The organism's statistics on hand-made evaluations: gaps within a (seed, scene) unit, paired changes
between arms, failures excluded and counted, fidelity from the exactly known answer language."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from babelvlm.errors import DataError
from babelvlm.experiments.organism import stats


def _write_run(folder: Path, rows: list[tuple[int, str, float | None, str | None, float | None]]) -> Path:
    """rows: (scene, lang, accuracy or None for a failed answer, detected language, MI or None)."""
    folder.mkdir(parents=True)
    samples, records = [], []
    for scene, lang, acc, detected, mi in rows:
        sid = f"organism-0-{scene:05d}-{lang}"
        samples.append(
            {
                "sample_id": sid,
                "lang": lang,
                "output_lang": lang,
                "scores": None if acc is None else {"accuracy": acc, "concept_accuracy": acc},
                "error": "boom" if acc is None else None,
                "detected_lang": detected,
                "meta": {"scene": scene, "qtype": "colour", "concept": "red"},
            }
        )
        records.append({"sample_id": sid, "mi": mi, "error": None if mi is not None else "failed"})
    (folder / "samples.jsonl").write_text("".join(json.dumps(s) + "\n" for s in samples), encoding="utf-8")
    (folder / "mi.json").write_text(json.dumps({"records": records}), encoding="utf-8")
    return folder


def test_gap_is_english_minus_the_mean_of_the_others_within_each_unit() -> None:
    values = {
        ((1, 0), "en"): 1.0, ((1, 0), "fr"): 0.0, ((1, 0), "zh"): 1.0,  # gap 1 - 0.5 = 0.5
        ((1, 1), "en"): 1.0, ((1, 1), "fr"): 1.0, ((1, 1), "zh"): 1.0,  # gap 0
        ((2, 0), "fr"): 0.0,  # no English: left out
    }  # fmt: skip
    assert stats.unit_gaps(values) == {(1, 0): 0.5, (1, 1): 0.0}
    result = stats.gap(values, "t")
    assert result["value"] == pytest.approx(0.25) and result["n"] == 2
    lo, hi = result["ci"]
    assert 0.0 <= lo <= 0.25 <= hi <= 0.5


def test_paired_change_uses_only_shared_units_and_its_ci_brackets_the_difference() -> None:
    arm = {(1, 0): 1.0, (1, 1): 1.0, (1, 2): 0.0, (2, 0): 1.0}
    base = {(1, 0): 0.0, (1, 1): 1.0, (1, 2): 0.0}
    change = stats.paired_change(arm, base, "k")
    assert change["n"] == 3 and change["value"] == pytest.approx(1 / 3)
    lo, hi = change["ci"]
    assert 0.0 <= lo <= 1 / 3 <= hi <= 1.0
    assert stats.paired_change(arm, {}, "k") == {"value": None, "ci": None, "n": 0}


def test_read_eval_excludes_and_counts_failures_and_scores_fidelity(tmp_path: Path) -> None:
    run = _write_run(
        tmp_path / "run",
        [
            (0, "en", 1.0, "en", 0.8),
            (0, "fr", 0.0, "en", 0.1),  # answered in English: fidelity 0
            (0, "zh", None, None, None),  # failed answer and failed MI
            (1, "en", 1.0, "en", 0.6),
            (1, "fr", 1.0, "fr", 0.4),
            (1, "zh", 0.0, None, 0.2),  # answer language unknown: out of fidelity only
        ],
    )
    runs = stats.ArmRuns()
    stats.read_eval(run, seed=3, into=runs)
    assert runs.n_failed == {"answers": 1, "fidelity_undetected": 1, "mi": 1}
    assert ((3, 0), "zh") not in runs.accuracy and runs.accuracy[((3, 1), "zh")] == 0.0
    assert runs.fidelity == {
        ((3, 0), "en"): 1.0,
        ((3, 0), "fr"): 0.0,
        ((3, 1), "en"): 1.0,
        ((3, 1), "fr"): 1.0,
    }
    summary = stats.arm_summary(runs, "A")
    assert summary["accuracy"] == {"en": 1.0, "fr": 0.5, "zh": 0.0}
    assert summary["mi"]["en"] == pytest.approx(0.7) and summary["mi"]["fr"] == pytest.approx(0.25)
    assert summary["seeds"][0]["seed"] == 3 and summary["seeds"][0]["accuracy"]["fr"] == 0.5
    # unit 0: en 1 - mean(fr 0) = 1; unit 1: en 1 - mean(fr 1, zh 0) = 0.5
    assert summary["gap"]["value"] == pytest.approx(0.75)
    assert summary["n_failed"] == runs.n_failed


def test_a_malformed_samples_row_names_the_file_and_row(tmp_path: Path) -> None:
    run = _write_run(tmp_path / "run", [(0, "en", 1.0, "en", 0.5)])
    (run / "samples.jsonl").write_text('{"sample_id": "x", "lang": "en"}\n', encoding="utf-8")
    with pytest.raises(DataError, match=r"samples.jsonl row 1"):
        stats.read_eval(run, 1, stats.ArmRuns())


def test_changes_against_the_baseline_pair_seeds_and_scenes(tmp_path: Path) -> None:
    base, arm = stats.ArmRuns(), stats.ArmRuns()
    stats.read_eval(
        _write_run(tmp_path / "a", [(0, "en", 1.0, "en", 1.0), (0, "fr", 0.0, "en", 0.0)]), 1, base
    )
    stats.read_eval(
        _write_run(tmp_path / "b", [(0, "en", 1.0, "en", 1.0), (0, "fr", 1.0, "fr", 0.5)]), 1, arm
    )
    change = stats.changes_against(arm, base, "B", "A")
    assert change["gap"]["value"] == pytest.approx(-1.0)
    assert change["non_english_accuracy"]["value"] == pytest.approx(1.0)
    assert change["en_accuracy"]["value"] == pytest.approx(0.0)
    assert change["non_english_fidelity"]["value"] == pytest.approx(1.0)
    assert change["non_english_mi"]["value"] == pytest.approx(0.5)
