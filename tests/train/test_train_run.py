"""``babelvlm train`` end to end on tiny Idefics3 and LLaVA models: every recipe overfits one fixed batch,
only the intended groups change, LoRA leaves the base weights untouched, the MoE is saved and reloaded."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import torch
from safetensors.torch import load_file
from tiny_models import write_llava_data

from babelvlm.models.parrot_moe import WEIGHTS_FILE
from babelvlm.train.recipe import load_recipe
from babelvlm.train.run import train

FAST = ["save_steps=1000", "warmup_ratio=0", "batch_size=4", "grad_accum=1", "precision=fp32"]
OVERFIT_LR = {"sft_lora": 2e-2, "mvcl_mi": 3e-3, "vila_stage0": 2e-2, "parrot_stage1": 2e-2}
PREFIXES = {
    "idefics3": {"vision": "model.vision_model", "projector": "model.connector", "llm": "model.text_model"},
    "llava": {
        "vision": "model.vision_tower",
        "projector": "model.multi_modal_projector",
        "llm": "model.language_model",
    },
}


def _run(
    recipe: str, model_dir: Path, data: Path, out: Path, *extra: str
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    summary = train(recipe, f"hf:{model_dir}", str(data), out, [*FAST, *extra])
    rows = [json.loads(line) for line in (out / "train_log.jsonl").read_text(encoding="utf-8").splitlines()]
    return summary, rows


def _answers_like_training(out: Path, data: Path) -> None:
    """``hf:OUT`` loads the saved folder and greedily reproduces an overfitted answer."""
    from babelvlm.models.hf import create
    from babelvlm.schema import Request

    row = json.loads(data.read_text(encoding="utf-8"))[0]
    question = row["conversations"][0]["value"].replace("<image>", "")  # hf: puts the image first too
    image = (data.parent / row["image"]).read_bytes()
    request = Request(key="k", task="t", sample_id="s", prompt=question, images=[image], max_new_tokens=8)
    output = create(str(out), {}).generate([request])[0]
    assert output.error is None and output.text == row["conversations"][1]["value"]


def _group_state(path: Path, arch: str) -> dict[str, dict[str, torch.Tensor]]:
    state = load_file(str(path / "model.safetensors"))
    groups: dict[str, dict[str, torch.Tensor]] = {}
    for name, tensor in state.items():
        # LLaVA checkpoints keep transformers' legacy key names (no "model." prefix): match the part
        group = next((g for g, p in PREFIXES[arch].items() if p.split(".")[-1] in name), "llm")
        groups.setdefault(group, {})[name] = tensor
    return groups


def _changed(before: Path, after: Path, arch: str) -> set[str]:
    old, new = _group_state(before, arch), _group_state(after, arch)
    return {g for g in old if any(not torch.equal(old[g][k], new[g][k]) for k in old[g])}


PROJECTOR_ONLY = {"vila_stage0", "parrot_stage1"}


@pytest.mark.parametrize("arch", ["idefics3", "llava"])
@pytest.mark.parametrize(
    "recipe",
    [
        "sft_lora",
        "vila_stage0",
        "vila_stage1",
        "vila_stage2",
        "parrot_stage1",
        "parrot_stage2",
        "mvcl_mi",
        "multilingual_sft",
    ],
)
def test_every_recipe_overfits_one_batch_and_trains_only_its_groups(
    tiny_dirs: dict[str, Path], tmp_path: Path, xtvqa_data: Path, recipe: str, arch: str
) -> None:
    """30 steps on one fixed batch (4 conversations, or 2 parallel items = 8 rows for MVCL-MI): the loss
    drops >= 90 %; with the LLM frozen and random (projector-only recipes) it can only drop >= 20 %."""
    mvcl = recipe == "mvcl_mi"
    data = xtvqa_data if mvcl else write_llava_data(tmp_path / "data", 4)
    lr = OVERFIT_LR.get(recipe, 3e-3)
    extra = [
        f"lr={lr}",
        "max_steps=30",
        "batch_size=2" if mvcl else "batch_size=4",
        "gradient_checkpointing=false",
    ]
    if mvcl:
        extra.append("mvcl_mi.alpha=0.5")
    summary, rows = _run(recipe, tiny_dirs[arch], data, tmp_path / "out", *extra)
    assert summary["steps"] == 30 and [r["step"] for r in rows] == list(range(1, 31))
    ratio = rows[-1]["loss"] / rows[0]["loss"]
    assert ratio <= (0.8 if recipe in PROJECTOR_ONLY else 0.1), (rows[0]["loss"], rows[-1]["loss"])
    expected = set(load_recipe(recipe).train) - {"moe"}
    assert _changed(tiny_dirs[arch], tmp_path / "out", arch) == expected
    assert (tmp_path / "out" / WEIGHTS_FILE).is_file() == (recipe == "parrot_stage2")
    assert {"step", "loss", "lr", "grad_norm", "tokens_per_s"} <= set(rows[0])
    if recipe in ("sft_lora", "parrot_stage2"):  # LoRA merged / MoE attached: hf:OUT answers the batch
        _answers_like_training(tmp_path / "out", data)
    if mvcl:
        terms = ["ce_src_src", "ce_tgt_src", "ce_src_tgt", "ce_tgt_tgt", "kl_src_tgt", "kl_tgt_src"]
        assert set(terms) <= set(rows[0])
        for row in rows[:3]:
            total = sum(row[t] for t in terms[:4]) + 0.5 * row["kl_src_tgt"] + 1.0 * row["kl_tgt_src"]
            assert total == pytest.approx(row["loss"], rel=1e-4)


def test_gradient_accumulation_does_not_change_the_run(tiny_dirs: dict[str, Path], tmp_path: Path) -> None:
    """Batch 4 in one step == batch 2 accumulated twice: the loss is normalised by the answer tokens of
    the whole accumulated batch (rows of different lengths, a text-only row among them)."""
    data = write_llava_data(tmp_path / "data", 4, text_only_every=3)
    common = ["max_steps=3", "lr=3e-3", "group_by_length=false", "gradient_checkpointing=false"]
    _, rows_one = _run("vila_stage2", tiny_dirs["llava"], data, tmp_path / "one", *common, "batch_size=4")
    extra = ["batch_size=2", "grad_accum=2"]
    _, rows_two = _run("vila_stage2", tiny_dirs["llava"], data, tmp_path / "two", *common, *extra)
    assert [r["loss"] for r in rows_two] == pytest.approx([r["loss"] for r in rows_one], rel=1e-5)
    a, b = (
        load_file(str(tmp_path / "one/model.safetensors")),
        load_file(str(tmp_path / "two/model.safetensors")),
    )
    assert max(float((a[k] - b[k]).abs().max()) for k in a) < 0.05 * 3e-3


def test_models_without_loss_kwargs_get_the_same_loss(tiny_dirs: dict[str, Path], tmp_path: Path) -> None:
    """A custom VLM whose forward takes no ``num_items_in_batch``: CE from its logits equals the loss
    transformers computes (the path the model organism's custom models take)."""
    from babelvlm.train.setup import build_trainer

    data = write_llava_data(tmp_path / "data", 4, text_only_every=3)
    trainer, _ = build_trainer(
        load_recipe("vila_stage2", FAST), tiny_dirs["llava"], str(data), tmp_path / "o"
    )
    assert trainer.forward_takes_counts
    batch = trainer.data_collator([trainer.train_dataset[i] for i in range(4)])
    with torch.no_grad():
        ours = trainer.compute_loss(trainer.model, dict(batch))
        trainer.forward_takes_counts = False
        by_hand = trainer.compute_loss(trainer.model, dict(batch))
    assert float(by_hand) == pytest.approx(float(ours), rel=1e-5)
