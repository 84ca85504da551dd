"""Two CPU processes (gloo DDP, launched by ``accelerate launch`` with the shipped config) give the same
losses, loss terms and weights as one process with the same global batch."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from safetensors.torch import load_file

from babelvlm.train.run import train

CONFIG = Path(__file__).resolve().parents[2] / "src/babelvlm/train/accelerate/ddp_cpu.yaml"
SRC = Path(__file__).resolve().parents[2] / "src"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _log(out: Path) -> list[dict[str, float]]:
    return [json.loads(line) for line in (out / "train_log.jsonl").read_text().splitlines()]


@pytest.mark.parametrize(
    ("recipe", "per_process"),
    # ~25 s each on the shared test machine (three interpreters start): the MVCL-MI variant runs with -m slow
    [("vila_stage2", 2), pytest.param("mvcl_mi", 1, marks=pytest.mark.slow)],
)
def test_two_processes_equal_one(
    tiny_dirs: dict[str, Path],
    llava_data: Path,
    xtvqa_data: Path,
    tmp_path: Path,
    recipe: str,
    per_process: int,
) -> None:
    data = xtvqa_data if recipe == "mvcl_mi" else llava_data
    common = [
        "max_steps=3",
        "lr=3e-3",
        "warmup_ratio=0",
        "precision=fp32",
        "group_by_length=false",
        "save_steps=1000",
        "grad_accum=1",
        "gradient_checkpointing=false",
    ]
    train(
        recipe,
        f"hf:{tiny_dirs['llava']}",
        str(data),
        tmp_path / "one",
        [*common, f"batch_size={2 * per_process}"],
    )
    launcher = [
        sys.executable,
        "-m",
        "accelerate.commands.launch",
        "--config_file",
        str(CONFIG),
        "--main_process_port",
        str(_free_port()),
        "-m",
        "babelvlm.train",
        recipe,
        "--model",
        f"hf:{tiny_dirs['llava']}",
        "--data",
        str(data),
        "--out",
        str(tmp_path / "two"),
    ]
    sets = [x for item in [*common, f"batch_size={per_process}"] for x in ("--set", item)]
    env = {**os.environ, "PYTHONPATH": str(SRC), "OMP_NUM_THREADS": "1"}
    process = subprocess.Popen(
        launcher + sets,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        output, _ = process.communicate(timeout=240)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)  # the launcher and both workers
    assert process.returncode == 0, output[-3000:]
    assert json.loads((tmp_path / "two/train_summary.json").read_text())["world_size"] == 2
    one, two = _log(tmp_path / "one"), _log(tmp_path / "two")
    assert len(one) == len(two) == 3
    for a, b in zip(one, two, strict=True):
        for key in a:
            if key not in ("tokens_per_s", "epoch"):
                assert b[key] == pytest.approx(a[key], rel=1e-4, abs=1e-6), key
    w1, w2 = (
        load_file(str(tmp_path / "one/model.safetensors")),
        load_file(str(tmp_path / "two/model.safetensors")),
    )
    worst = max(float((w1[k] - w2[k]).abs().max()) for k in w1)
    assert worst < 0.05 * 3e-3  # Adam turns float noise in near-zero gradients into small updates
