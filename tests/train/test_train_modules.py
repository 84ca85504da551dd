"""Module groups per architecture, the escape hatch, LoRA leaving base weights untouched, and gradient
checkpointing with frozen parts and LoRA."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
import transformers
from tiny_models import write_llava_data

from babelvlm.errors import ConfigError
from babelvlm.train.modules import resolve_groups
from babelvlm.train.recipe import ModuleOverrides, load_recipe
from babelvlm.train.run import train
from babelvlm.train.setup import build_trainer

FAST = ["save_steps=1000", "warmup_ratio=0", "batch_size=4", "precision=fp32"]


def _model(path: Path) -> transformers.PreTrainedModel:
    return transformers.AutoModelForImageTextToText.from_pretrained(path)


def test_table_groups_cover_every_parameter(tiny_dirs: dict[str, Path]) -> None:
    for arch, path in tiny_dirs.items():
        model = _model(path)
        groups = resolve_groups(model, ModuleOverrides())
        owners = {groups.group_of(name) for name, _ in model.named_parameters()}
        assert owners == {"vision", "projector", "llm"}, arch


def test_unknown_architecture_names_its_modules_and_the_escape_hatch(tiny_dirs: dict[str, Path]) -> None:
    model = _model(tiny_dirs["llava"])
    model.config.model_type = "efficientnet_llava"
    with pytest.raises(ConfigError) as info:
        resolve_groups(model, ModuleOverrides())
    text = str(info.value)
    assert "efficientnet_llava" in text and "model.vision_tower" in text and "lm_head" in text
    assert "--set modules.projector=" in text
    hatch = ModuleOverrides(
        vision="model.vision_tower",
        projector="model.multi_modal_projector",
        llm="model.language_model,lm_head",
    )
    groups = resolve_groups(model, hatch)
    assert groups.group_of("model.multi_modal_projector.linear_1.weight") == "projector"
    with pytest.raises(ConfigError, match=r"'model\.adapter' is not a module"):
        resolve_groups(_model(tiny_dirs["llava"]), ModuleOverrides(projector="model.adapter"))


def test_escape_hatch_trains_exactly_the_named_module(tiny_dirs: dict[str, Path], tmp_path: Path) -> None:
    """``--set modules.projector=model.multi_modal_projector.linear_2``: only that layer changes."""
    data = write_llava_data(tmp_path / "data", 4)
    train(
        "vila_stage0",
        f"hf:{tiny_dirs['llava']}",
        str(data),
        tmp_path / "out",
        [*FAST, "max_steps=2", "lr=1e-2", "modules.projector=model.multi_modal_projector.linear_2"],
    )
    from safetensors.torch import load_file

    old, new = (
        load_file(str(tiny_dirs["llava"] / "model.safetensors")),
        load_file(str(tmp_path / "out/model.safetensors")),
    )
    changed = {k for k in old if not torch.equal(old[k], new[k])}
    assert changed == {"multi_modal_projector.linear_2.weight", "multi_modal_projector.linear_2.bias"}


def test_lora_leaves_the_base_weights_untouched(tiny_dirs: dict[str, Path], tmp_path: Path) -> None:
    data = write_llava_data(tmp_path / "data", 4)
    recipe = load_recipe("sft_lora", [*FAST, "max_steps=3", "lr=1e-2"])
    trainer, _ = build_trainer(recipe, tiny_dirs["llava"], str(data), tmp_path / "out")
    before = {k: v.detach().clone() for k, v in trainer.model.named_parameters()}
    trainable = {k for k, v in trainer.model.named_parameters() if v.requires_grad}
    assert trainable and all("lora_" in k for k in trainable)
    assert any("language_model" in k for k in trainable) and not any("vision_tower" in k for k in trainable)
    trainer.train()
    after = dict(trainer.model.named_parameters())
    for name, value in before.items():
        assert torch.equal(value, after[name].detach()) == ("lora_B" not in name and "lora_A" not in name), (
            name
        )


@pytest.mark.parametrize("recipe", ["vila_stage2", "sft_lora"])
def test_gradient_checkpointing_gives_the_same_losses(
    tiny_dirs: dict[str, Path], tmp_path: Path, recipe: str
) -> None:
    """Non-reentrant checkpointing with a frozen vision tower (and LoRA) changes nothing but memory."""
    data = write_llava_data(tmp_path / "data", 4)
    losses = []
    for flag in ("false", "true"):
        out = tmp_path / f"out_{flag}"
        train(
            recipe,
            f"hf:{tiny_dirs['llava']}",
            str(data),
            out,
            [
                *FAST,
                "max_steps=3",
                "lr=1e-2",
                "lora.dropout=0" if recipe == "sft_lora" else "seed=0",
                f"gradient_checkpointing={flag}",
            ],
        )
        losses.append(
            [json.loads(line)["loss"] for line in (out / "train_log.jsonl").read_text().splitlines()]
        )
    assert losses[0] == pytest.approx(losses[1], rel=1e-5) and losses[0][-1] < losses[0][0]


TEXT = {
    "vocab_size": 300,
    "hidden_size": 64,
    "intermediate_size": 128,
    "num_hidden_layers": 1,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "bos_token_id": 1,
    "eos_token_id": 2,
}
CLIP = {
    "model_type": "clip_vision_model",
    "hidden_size": 32,
    "intermediate_size": 64,
    "num_hidden_layers": 1,
    "num_attention_heads": 2,
    "image_size": 32,
    "patch_size": 8,
}
MROPE = {"rope_scaling": {"type": "mrope", "mrope_section": [2, 2, 4]}}


@pytest.mark.parametrize(
    ("name", "config"),
    [
        (
            "Qwen2VL",
            {
                "vision_config": {
                    "depth": 1,
                    "embed_dim": 32,
                    "hidden_size": 64,
                    "num_heads": 2,
                    "mlp_ratio": 2,
                },
                "text_config": {**TEXT, **MROPE},
            },
        ),
        (
            "Qwen2_5_VL",
            {
                "vision_config": {
                    "depth": 1,
                    "hidden_size": 32,
                    "out_hidden_size": 64,
                    "num_heads": 2,
                    "intermediate_size": 64,
                    "fullatt_block_indexes": [0],
                },
                "text_config": {**TEXT, **MROPE},
            },
        ),
        (
            "LlavaNext",
            {
                "vision_config": CLIP,
                "text_config": {"model_type": "llama", **TEXT},
                "image_grid_pinpoints": [[32, 32]],
            },
        ),
    ],
)
def test_table_rows_of_qwen2_vl_and_llava_next(name: str, config: dict[str, object]) -> None:
    """Every parameter has a group; Qwen2-VL's merger (inside the vision tower) is the projector."""
    model = getattr(transformers, f"{name}ForConditionalGeneration")(
        getattr(transformers, f"{name}Config")(**config)
    )
    groups = resolve_groups(model, ModuleOverrides())
    owners: dict[str | None, list[str]] = {}
    for param, _ in model.named_parameters():
        owners.setdefault(groups.group_of(param), []).append(param)
    assert set(owners) == {"vision", "projector", "llm"}
    projector = owners["projector"]
    assert (
        all(".merger." in p for p in projector)
        if name.startswith("Qwen")
        else "model.image_newline" in projector
    )
