"""The organism experiment's results: ``organism.json`` (the contract's shape plus CIs, changes and
claims), the held-out wiring check of arm A, ``report.html`` and ``compare.html``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from babelvlm.atomic import write_text_atomic
from babelvlm.experiments.organism import parts, stats
from babelvlm.experiments.organism.claims import judge_claims

if TYPE_CHECKING:
    from babelvlm.experiments.organism.experiment import ExperimentConfig, Timings


def heldout_wiring(config: ExperimentConfig) -> dict[str, Any]:
    """Arm A (first seed) on the English evaluation questions, with own and with shuffled images."""
    from babelvlm.experiments.organism import wiring
    from babelvlm.tasks.base import LoadOptions
    from babelvlm.tasks.registry import get_task

    path = config.out / "wiring" / "heldout.json"
    if path.is_file():
        found: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return found
    from babelvlm.experiments.organism.experiment import EVAL_SEED

    options = LoadOptions(seed=EVAL_SEED, langs=["en"], extra={"scenes": str(config.eval_scenes)})
    samples = list(get_task("organism").load(options))
    model = config.out / "arms" / "A" / f"seed{config.seeds[0]}" / "model"
    result = {"model": f"arm A seed {config.seeds[0]}", **wiring.image_dependence(f"hf:{model}", samples)}
    write_text_atomic(path, json.dumps(result, indent=1) + "\n")
    return result


def collect(config: ExperimentConfig) -> dict[str, stats.ArmRuns]:
    """Every arm's evaluations over its seeds."""
    from babelvlm.experiments.organism.experiment import arm_eval_dir

    runs = {}
    for arm in config.arms:
        runs[arm] = stats.ArmRuns()
        for seed in config.seeds:
            stats.read_eval(arm_eval_dir(config, arm, seed), seed, runs[arm])
    return runs


def build(config: ExperimentConfig, timings: Timings) -> dict[str, Any]:
    """The content of ``organism.json``."""
    from babelvlm.experiments.organism.experiment import ARMS

    runs = collect(config)
    arms: dict[str, Any] = {}
    for arm, arm_runs in runs.items():
        arms[arm] = {"label": ARMS[arm]["label"], **stats.arm_summary(arm_runs, arm)}
        train = _train_summaries(config, arm)
        arms[arm]["train"] = train
        for entry in arms[arm]["seeds"]:
            entry["final_loss"] = train.get(entry["seed"], {}).get("final_loss")
        if arm != "A":
            arms[arm]["change_vs_A"] = stats.changes_against(arm_runs, runs["A"], arm, "A")
    if "D" in runs and "B" in runs:
        arms["D"]["change_vs_B"] = stats.changes_against(runs["D"], runs["B"], "D", "B")
    overfit = json.loads((config.out / "wiring" / "wiring.json").read_text(encoding="utf-8"))
    return {
        "arms": arms,
        "wiring": {**heldout_wiring(config), "overfit": overfit},
        "parts": {"vision": parts.parts_table()["vision"], "language": parts.parts_table()[config.language]},
        "minutes": round(sum(timings.stages.values()) / 60, 2),
        "stages": dict(timings.stages),
        "claims": judge_claims(arms),
        "settings": config.settings(),
        "bootstrap": {
            "n_boot": stats.N_BOOT,
            "confidence": stats.CONFIDENCE,
            "unit": "(seed, evaluation scene)",
        },
    }


def _train_summaries(config: ExperimentConfig, arm: str) -> dict[int, dict[str, Any]]:
    out = {}
    for seed in config.seeds:
        path = config.out / "arms" / arm / f"seed{seed}" / "model" / "train_summary.json"
        summary = json.loads(path.read_text(encoding="utf-8"))
        out[seed] = {
            "final_loss": summary.get("final_loss"),
            "seconds": (summary.get("metrics") or {}).get("train_runtime"),
            "steps": summary.get("steps"),
        }
    return out


def write_summary(config: ExperimentConfig, timings: Timings) -> dict[str, Any]:
    """Write ``organism.json``, ``report.html`` and ``compare.html`` (the arms' first-seed runs side by
    side through ``babelvlm report``); returns organism.json's content."""
    from babelvlm.experiments.organism.experiment import arm_eval_dir
    from babelvlm.experiments.organism.report import render_report
    from babelvlm.report.compare import write_comparison

    result = build(config, timings)
    write_text_atomic(config.out / "organism.json", json.dumps(result, indent=1, ensure_ascii=False) + "\n")
    runs = [arm_eval_dir(config, arm, config.seeds[0]) for arm in config.arms]
    if len(runs) > 1:
        write_comparison(runs, config.out / "compare.html")
    write_text_atomic(config.out / "report.html", render_report(result, Path(config.out)))
    return result
