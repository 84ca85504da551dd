"""A run killed with SIGKILL and started again with the same command ends with the same weights, the
same losses and the same data order as an uninterrupted run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file
from tiny_models import write_llava_data

from babelvlm.train.run import train

ARGS = [
    "max_steps=24",
    "save_steps=4",
    "batch_size=2",
    "lr=3e-3",
    "warmup_ratio=0.1",
    "precision=fp32",
    "gradient_checkpointing=false",
]
SRC = Path(__file__).resolve().parents[2] / "src"


def _command(model: Path, data: Path, out: Path) -> list[str]:
    sets = [x for a in ARGS for x in ("--set", a)]
    code = "from babelvlm.cli import main; main()"
    return [
        sys.executable,
        "-c",
        code,
        "train",
        "vila_stage2",
        "--model",
        f"hf:{model}",
        "--data",
        str(data),
        "--out",
        str(out),
        *sets,
    ]


def _log(out: Path) -> list[dict[str, float]]:
    return [json.loads(line) for line in (out / "train_log.jsonl").read_text().splitlines()]


def test_kill_9_then_resume_equals_an_uninterrupted_run(tiny_dirs: dict[str, Path], tmp_path: Path) -> None:
    model = tiny_dirs["idefics3"]
    data = write_llava_data(tmp_path / "data", 8, text_only_every=3)  # 4 steps per epoch: resumes mid-epoch
    train("vila_stage2", f"hf:{model}", str(data), tmp_path / "whole", ARGS)

    killed = tmp_path / "killed"
    env = {**os.environ, "PYTHONPATH": str(SRC), "OMP_NUM_THREADS": "1"}
    process = subprocess.Popen(
        _command(model, data, killed), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 120
    while not (killed / "checkpoints/checkpoint-8/trainer_state.json").is_file():
        assert process.poll() is None and time.monotonic() < deadline, "the run ended before it was killed"
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert not (killed / "train_summary.json").exists()  # it really died mid-run
    assert max(r["step"] for r in _log(killed)) < 24

    summary = train("vila_stage2", f"hf:{model}", str(data), killed, ARGS)  # the same command again
    assert summary["steps"] == 24
    whole, resumed = _log(tmp_path / "whole"), _log(killed)
    assert [r["step"] for r in resumed] == list(range(1, 25))
    assert [r["loss"] for r in resumed] == pytest.approx([r["loss"] for r in whole], rel=1e-5)
    a, b = load_file(str(tmp_path / "whole/model.safetensors")), load_file(str(killed / "model.safetensors"))
    assert all(torch.allclose(a[k], b[k], atol=1e-6) for k in a)


def test_a_finished_run_is_not_repeated_and_changed_settings_are_refused(
    tiny_dirs: dict[str, Path], tmp_path: Path
) -> None:
    from babelvlm.errors import ConfigError

    data = write_llava_data(tmp_path / "data", 4)
    first = train(
        "vila_stage2", f"hf:{tiny_dirs['llava']}", str(data), tmp_path / "out", [*ARGS[:1], "max_steps=2"]
    )
    again = train(
        "vila_stage2", f"hf:{tiny_dirs['llava']}", str(data), tmp_path / "out", [*ARGS[:1], "max_steps=2"]
    )
    assert again == json.loads(json.dumps(first, default=str))
    with pytest.raises(ConfigError, match="other settings \\(lr"):
        train("vila_stage2", f"hf:{tiny_dirs['llava']}", str(data), tmp_path / "out", ["max_steps=2", "lr=1"])
