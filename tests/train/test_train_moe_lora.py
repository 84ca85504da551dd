"""The Parrot MoE trained next to LoRA (the organism's arm D): the MoE learns although peft freezes every
non-adapter weight, it is saved with the merged model, and a LoRA run's checkpoints carry it so that a
resumed run equals an uninterrupted one."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file
from tiny_models import write_llava_data

from babelvlm.models.parrot_moe import WEIGHTS_FILE
from babelvlm.train.run import train

RECIPE = """name: moe_lora
train: [moe, projector, llm]
moe: {enabled: true, experts: 3, alpha: 0.1}
lora: {groups: [llm], r: 4, alpha: 8, dropout: 0.0, targets: all-linear}
lr: 1.0e-2
schedule: constant
max_steps: 8
save_steps: 4
batch_size: 2
precision: fp32
group_by_length: false
"""


def _losses(out: Path) -> list[float]:
    return [json.loads(line)["loss"] for line in (out / "train_log.jsonl").read_text().splitlines()]


def test_the_moe_trains_beside_lora_and_checkpoints_resume_it(
    tiny_dirs: dict[str, Path], tmp_path: Path
) -> None:
    recipe = tmp_path / "moe_lora.yaml"
    recipe.write_text(RECIPE, encoding="utf-8")
    model = f"hf:{tiny_dirs['llava']}"
    data = str(write_llava_data(tmp_path / "data", 8))
    whole = tmp_path / "whole"
    summary = train(str(recipe), model, data, whole)
    assert summary["steps"] == 8 and summary["moe"] is not None
    at_4 = load_file(str(whole / "checkpoints" / "checkpoint-4" / WEIGHTS_FILE))
    final = load_file(str(whole / WEIGHTS_FILE))
    assert any(not torch.equal(at_4[k], final[k]) for k in final)  # it kept learning after step 4

    resumed = tmp_path / "resumed"  # a run killed right after its step-4 checkpoint
    shutil.copytree(whole / "checkpoints" / "checkpoint-4", resumed / "checkpoints" / "checkpoint-4")
    for name in ("recipe.json", "train_log.jsonl"):  # the log is cut back to the checkpoint on resume
        shutil.copy(whole / name, resumed / name)
    train(str(recipe), model, data, resumed)
    assert _losses(resumed) == pytest.approx(_losses(whole), rel=1e-5)
    again = load_file(str(resumed / WEIGHTS_FILE))
    assert all(torch.allclose(final[k], again[k], atol=1e-6) for k in final)
