"""The command line end to end: ``babelvlm train`` -> ``babelvlm eval --model hf:OUT`` -> ``babelvlm report
before/ after/``, with a Parrot MoE model so that ``hf:OUT`` must pick up the MoE by itself."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from babelvlm.cli import app

runner = CliRunner()


def test_train_then_eval_then_compare_before_and_after(tiny_dirs: dict[str, Path], tmp_path: Path) -> None:
    model = tiny_dirs["llava"]
    data = f"task:babeltext?seed=7&scenes=2&langs=en,fr&data={tmp_path / 'babeltext_train'}"
    sets = [
        "max_steps=4",
        "batch_size=4",
        "lr=1e-3",
        "precision=fp32",
        "save_steps=2",
        "gradient_checkpointing=false",
    ]
    args = [
        "train",
        "parrot_stage2",
        "--model",
        f"hf:{model}",
        "--data",
        data,
        "--out",
        str(tmp_path / "tuned"),
    ]
    result = runner.invoke(app, args + [x for s in sets for x in ("--set", s)])
    assert result.exit_code == 0, result.output
    assert "4 steps" in result.output
    summary = json.loads((tmp_path / "tuned/train_summary.json").read_text())
    assert summary["moe"]["residual_form"] == "paper" and summary["trained_groups"] == [
        "llm",
        "moe",
        "projector",
    ]
    assert (tmp_path / "tuned/parrot_moe.safetensors").is_file()

    common = ["--tasks", "babeltext", "--langs", "en,fr", "--limit", "4", "--data", str(tmp_path / "bt_eval")]
    for name, target in (("before", model), ("after", tmp_path / "tuned")):
        result = runner.invoke(
            app, ["eval", "--model", f"hf:{target}", *common, "--out", str(tmp_path / name)]
        )
        assert result.exit_code == 0, result.output
        results = json.loads((tmp_path / name / "results.json").read_text())
        assert results["tasks"]["babeltext"]["n_samples"] == 4
    before = json.loads((tmp_path / "before/results.json").read_text())
    after = json.loads((tmp_path / "after/results.json").read_text())
    assert before["model"] != after["model"]
    result = runner.invoke(
        app,
        [
            "report",
            str(tmp_path / "before"),
            str(tmp_path / "after"),
            "--out",
            str(tmp_path / "compare.html"),
        ],
    )
    assert result.exit_code == 0, result.output
    page = (tmp_path / "compare.html").read_text()
    assert str(tmp_path / "tuned") in page or "tuned" in page


def test_bad_input_stops_before_training(tiny_dirs: dict[str, Path], tmp_path: Path) -> None:
    rows = [{"conversations": [{"from": "human", "value": "Q?"}]}]
    (tmp_path / "d.json").write_text(json.dumps(rows))
    args = [
        "train",
        "vila_stage2",
        "--model",
        f"hf:{tiny_dirs['llava']}",
        "--data",
        str(tmp_path / "d.json"),
        "--out",
        str(tmp_path / "out"),
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 2 and "row 1" in result.output and "no assistant turn" in result.output
    assert not (tmp_path / "out/checkpoints").exists()
    result = runner.invoke(
        app,
        [
            *args[:2],
            "--model",
            f"hf:{tiny_dirs['llava']}",
            "--data",
            str(tmp_path / "d.json"),
            "--out",
            str(tmp_path / "o2"),
            "--set",
            "lr=-1",
        ],
    )
    assert result.exit_code == 2 and "key 'lr'" in result.output
    listing = runner.invoke(app, ["train", "--list"])
    assert (
        listing.exit_code == 0
        and "parrot_stage2" in listing.output
        and "accelerate configs" in listing.output
    )
