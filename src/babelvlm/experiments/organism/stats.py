"""The organism's numbers: per-language accuracy, fidelity and MI of every arm, the gap, and each arm's
change against arm A, with paired-bootstrap confidence intervals.

The unit of resampling is an evaluated scene of one seed, ``(seed, scene)``: every language's question
about that scene stays together (so the gap, English minus the mean of the other languages, is computed
within a unit), and arm X's seed-k run is paired with arm A's seed-k run on the same evaluation scenes.
Failed answers and failed MI records are excluded from every mean and counted (``n_failed``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from babelvlm.analysis.gaps import bootstrap_means, paired_bootstrap_means, percentile_ci
from babelvlm.errors import DataError

N_BOOT = 2000
CONFIDENCE = 0.95
Unit = tuple[int, int]
"""(seed, scene)."""


@dataclass
class ArmRuns:
    """What one arm's evaluations gave, per seed: values per (unit, language) for each measure."""

    accuracy: dict[tuple[Unit, str], float] = field(default_factory=dict)
    concept_accuracy: dict[tuple[Unit, str], float] = field(default_factory=dict)
    fidelity: dict[tuple[Unit, str], float] = field(default_factory=dict)
    mi: dict[tuple[Unit, str], float] = field(default_factory=dict)
    n_failed: dict[str, int] = field(default_factory=dict)

    def units(self) -> list[Unit]:
        return sorted({unit for unit, _ in self.accuracy})


def read_eval(run_dir: Path, seed: int, into: ArmRuns) -> None:
    """Add one seed's ``samples.jsonl`` (answers, scores, detected language) and ``mi.json`` records."""
    samples = run_dir / "samples.jsonl"
    by_id: dict[str, tuple[Unit, str]] = {}
    for n, line in enumerate(samples.read_text(encoding="utf-8").splitlines(), start=1):
        try:
            row = json.loads(line)
            key = ((seed, int(row["meta"]["scene"])), str(row["lang"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise DataError(
                f"{samples} row {n}: {exc} (fix: re-run the evaluation into a fresh directory)"
            ) from exc
        by_id[str(row["sample_id"])] = key
        scores = row.get("scores") or {}
        if row.get("error") or scores.get("accuracy") is None:
            into.n_failed["answers"] = into.n_failed.get("answers", 0) + 1
            continue
        into.accuracy[key] = float(scores["accuracy"])
        into.concept_accuracy[key] = float(scores.get("concept_accuracy") or 0.0)
        detected = row.get("detected_lang")
        if detected:  # an answer whose language is unknown is excluded from fidelity (SPEC 7)
            into.fidelity[key] = float(detected == (row.get("output_lang") or key[1]))
        else:
            into.n_failed["fidelity_undetected"] = into.n_failed.get("fidelity_undetected", 0) + 1
    records = json.loads((run_dir / "mi.json").read_text(encoding="utf-8"))["records"]
    for rec in records:
        found = by_id.get(str(rec["sample_id"]))
        if found is None or rec.get("error") or rec.get("mi") is None:
            into.n_failed["mi"] = into.n_failed.get("mi", 0) + 1
            continue
        into.mi[found] = float(rec["mi"])


def _interval(values: Sequence[float], key: str) -> dict[str, Any]:
    array = np.asarray(values, dtype=np.float64)
    if array.size == 0:
        return {"value": None, "ci": None, "n": 0}
    boot = bootstrap_means(array, N_BOOT, 0, key)
    return {"value": float(array.mean()), "ci": percentile_ci(boot, CONFIDENCE), "n": int(array.size)}


def per_language(values: Mapping[tuple[Unit, str], float], key: str) -> dict[str, dict[str, Any]]:
    """Mean and bootstrap CI per language (units resampled)."""
    langs = sorted({lang for _, lang in values}, key=lambda lang: (lang != "en", lang))
    return {
        lang: _interval([v for (_, la), v in values.items() if la == lang], f"{key}-{lang}") for lang in langs
    }


def unit_gaps(values: Mapping[tuple[Unit, str], float]) -> dict[Unit, float]:
    """Per unit: the English value minus the mean of the other languages' values (units lacking English
    or every other language are left out)."""
    by_unit: dict[Unit, dict[str, float]] = {}
    for (unit, lang), value in values.items():
        by_unit.setdefault(unit, {})[lang] = value
    gaps = {}
    for unit, langs in by_unit.items():
        others = [v for lang, v in langs.items() if lang != "en"]
        if "en" in langs and others:
            gaps[unit] = langs["en"] - sum(others) / len(others)
    return gaps


def unit_means(values: Mapping[tuple[Unit, str], float], english: bool) -> dict[Unit, float]:
    """Per unit: the English value (``english``) or the mean of the other languages' values."""
    by_unit: dict[Unit, list[float]] = {}
    for (unit, lang), value in values.items():
        if (lang == "en") == english:
            by_unit.setdefault(unit, []).append(value)
    return {unit: sum(v) / len(v) for unit, v in by_unit.items()}


def gap(values: Mapping[tuple[Unit, str], float], key: str) -> dict[str, Any]:
    """English minus the mean of the other languages, with its CI over units."""
    return _interval(list(unit_gaps(values).values()), f"gap-{key}")


def paired_change(arm: Mapping[Unit, float], base: Mapping[Unit, float], key: str) -> dict[str, Any]:
    """Mean of ``arm - base`` over the units both have, with the paired-bootstrap CI."""
    shared = sorted(set(arm) & set(base))
    if not shared:
        return {"value": None, "ci": None, "n": 0}
    a = np.asarray([arm[u] for u in shared], dtype=np.float64)
    b = np.asarray([base[u] for u in shared], dtype=np.float64)
    boot_a, boot_b = paired_bootstrap_means(a, b, N_BOOT, 0, key)
    return {
        "value": float(a.mean() - b.mean()),
        "ci": percentile_ci(boot_a - boot_b, CONFIDENCE),
        "n": len(shared),
    }


def seed_means(values: Mapping[tuple[Unit, str], float]) -> dict[int, dict[str, float]]:
    """Per seed, the mean per language."""
    sums: dict[int, dict[str, list[float]]] = {}
    for ((seed, _), lang), value in values.items():
        sums.setdefault(seed, {}).setdefault(lang, []).append(value)
    return {seed: {lang: sum(v) / len(v) for lang, v in by_lang.items()} for seed, by_lang in sums.items()}


def arm_summary(runs: ArmRuns, name: str) -> dict[str, Any]:
    """One arm's block of organism.json: point values per language, their CIs, per-seed values, the gap."""
    measures = {
        "accuracy": runs.accuracy,
        "concept_accuracy": runs.concept_accuracy,
        "fidelity": runs.fidelity,
        "mi": runs.mi,
    }
    detail = {m: per_language(v, f"{name}-{m}") for m, v in measures.items()}
    seeds = sorted({seed for seed, _ in runs.units()})
    per_seed = {m: seed_means(v) for m, v in measures.items()}
    return {
        **{m: {lang: d["value"] for lang, d in detail[m].items()} for m in measures},
        "ci": {m: {lang: d["ci"] for lang, d in detail[m].items()} for m in measures},
        "n": {lang: d["n"] for lang, d in detail["accuracy"].items()},
        "seeds": [{"seed": s, **{m: per_seed[m].get(s, {}) for m in measures}} for s in seeds],
        "gap": gap(runs.accuracy, f"{name}-accuracy"),
        "concept_gap": gap(runs.concept_accuracy, f"{name}-concept"),
        "mi_gap": gap(runs.mi, f"{name}-mi"),
        "non_english_fidelity": _interval(
            list(unit_means(runs.fidelity, english=False).values()), f"{name}-fidelity-other"
        ),
        "n_failed": dict(runs.n_failed),
    }


def changes_against(runs: ArmRuns, base: ArmRuns, name: str, base_name: str) -> dict[str, Any]:
    """How arm ``name`` differs from ``base_name``, paired per (seed, scene): the gap, English accuracy,
    the mean non-English accuracy, fidelity and MI."""
    key = f"{name}-vs-{base_name}"
    return {
        "gap": paired_change(unit_gaps(runs.accuracy), unit_gaps(base.accuracy), f"{key}-gap"),
        "en_accuracy": paired_change(
            unit_means(runs.accuracy, True), unit_means(base.accuracy, True), f"{key}-en"
        ),
        "non_english_accuracy": paired_change(
            unit_means(runs.accuracy, False), unit_means(base.accuracy, False), f"{key}-other"
        ),
        "non_english_concept_accuracy": paired_change(
            unit_means(runs.concept_accuracy, False),
            unit_means(base.concept_accuracy, False),
            f"{key}-other-concept",
        ),
        "non_english_fidelity": paired_change(
            unit_means(runs.fidelity, False), unit_means(base.fidelity, False), f"{key}-fidelity"
        ),
        "non_english_mi": paired_change(unit_means(runs.mi, False), unit_means(base.mi, False), f"{key}-mi"),
        "en_mi": paired_change(unit_means(runs.mi, True), unit_means(base.mi, True), f"{key}-en-mi"),
    }
