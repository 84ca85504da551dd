"""Assemble a run: model + processor, module groups, trainable parameters (full / LoRA / MoE), data,
``TrainingArguments`` from the recipe, and the final save of ``OUT/``."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from babelvlm.errors import ModelError
from babelvlm.models import parrot_moe
from babelvlm.train.collator import Collator, ConversationDataset, ParallelDataset
from babelvlm.train.data import read_conversations, read_parallel
from babelvlm.train.encode import ChatEncoder
from babelvlm.train.modules import ModuleGroups, apply_trainable, lora_targets, resolve_groups
from babelvlm.train.recipe import Recipe
from babelvlm.train.trainer import LOG_FILE, JsonlLog, RecipeTrainer

SUMMARY_FILE = "train_summary.json"


@dataclass
class RunParts:
    """What ``save_outputs`` needs besides the trainer."""

    processor: Any
    groups: ModuleGroups
    moe: parrot_moe.ParrotMoE | None
    counts: dict[str, int]
    log: JsonlLog
    precision: str
    extra: dict[str, Any] = field(default_factory=dict)


def load_model(model_dir: Path, trust_remote_code: bool = False) -> tuple[Any, Any]:
    """Processor and model (float32 master weights; mixed precision comes from the recipe), offline."""
    import transformers

    from babelvlm.models.efficientnet_tower import register_architectures

    register_architectures()  # BabelVLM's own vision tower (the model organism's), as hf: does
    common: dict[str, Any] = {"local_files_only": True, "trust_remote_code": trust_remote_code}
    auto_processor: Any = transformers.AutoProcessor
    processor = auto_processor.from_pretrained(model_dir, **common)
    for name in ("AutoModelForImageTextToText", "AutoModelForCausalLM"):
        try:
            auto: Any = getattr(transformers, name)
            return processor, auto.from_pretrained(model_dir, dtype=torch.float32, **common)
        except (ValueError, KeyError):
            continue
    raise ModelError(f"no transformers auto class loads {model_dir} for training")


def build_trainer(recipe: Recipe, model_dir: Path, data: str, out: Path) -> tuple[RecipeTrainer, RunParts]:
    """Everything checked (data, images, groups, LoRA targets) before the first step."""
    from transformers import set_seed

    from babelvlm.train.run import attach_moe

    set_seed(recipe.seed)  # LoRA and MoE initialisation depend on the recipe's seed only
    processor, model = load_model(model_dir, recipe.trust_remote_code)
    groups = resolve_groups(model, recipe.modules)
    nested = groups.image_batching == "padded"
    encoder = ChatEncoder(processor, recipe.max_length, nested)
    dataset: ConversationDataset | ParallelDataset
    if recipe.loss == "mvcl_mi":
        dataset = ParallelDataset(read_parallel(data, recipe.mvcl_mi.tgt_langs), encoder)
    else:
        dataset = ConversationDataset(read_conversations(data), encoder)
    _ = dataset[0]  # the chat template and processor work on this data before anything trains
    moe = attach_moe(model, recipe, model_dir, _moe_modules(groups))
    lora_groups = list(recipe.lora.groups) if recipe.lora else []
    counts = apply_trainable(model, groups, [g for g in recipe.train if g not in lora_groups])
    if recipe.lora:
        model = _with_lora(model, groups, recipe)
    precision = _precision(recipe.precision)
    trainer = RecipeTrainer(
        model=model,
        args=_arguments(recipe, out, precision, _has_text_only(dataset)),
        train_dataset=dataset,
        data_collator=Collator(encoder.pad_id, nested),
        recipe=recipe,
        lengths=dataset.lengths() if recipe.group_by_length else None,
        callbacks=[log := JsonlLog(out / LOG_FILE)],
    )
    return trainer, RunParts(processor, groups, moe, counts, log, precision)


def _moe_modules(groups: ModuleGroups) -> tuple[str, str]:
    """(projector, language model) module paths for the Parrot MoE: the first entries of the groups
    (``lm_head`` is not the language model's body)."""
    projector = next(iter(groups.module_names("projector")), "")
    body = next((p for p in groups.module_names("llm") if p != "lm_head"), "")
    return projector, body


def _with_lora(model: Any, groups: ModuleGroups, recipe: Recipe) -> Any:
    """peft LoRA on the chosen linear layers; full-trained groups' modules are saved alongside."""
    from peft import LoraConfig, get_peft_model

    assert recipe.lora is not None
    settings = recipe.lora
    targets = lora_targets(model, groups, settings.groups, settings.targets, settings.exclude)
    modules = dict(model.named_modules())
    # the MoE stays outside peft: its hooks call the module object itself, which a modules_to_save copy is not
    full = [
        p
        for g in recipe.train
        if g not in settings.groups and g != "moe"
        for p in groups.module_names(g)
        if p in modules and p != parrot_moe.ATTRIBUTE
    ]
    config = LoraConfig(
        r=settings.r,
        lora_alpha=settings.alpha,
        lora_dropout=settings.dropout,
        target_modules=targets,
        modules_to_save=full or None,
    )
    wrapped = get_peft_model(model, config)
    moe = getattr(model, parrot_moe.ATTRIBUTE, None)
    if "moe" in recipe.train and moe is not None:  # peft froze every non-adapter parameter
        for param in moe.parameters():
            param.requires_grad_(True)
    return wrapped


def _precision(name: str) -> str:
    """``auto``: bf16 on a GPU that supports it, fp32 elsewhere (CPU autocast is slow for training)."""
    if name != "auto":
        return name
    return "bf16" if torch.cuda.is_available() and torch.cuda.is_bf16_supported() else "fp32"


def _has_text_only(dataset: ConversationDataset | ParallelDataset) -> bool:
    """Rows without images leave the vision side unused in that step: DDP must then look for unused
    parameters, or the processes wait forever for their gradients."""
    if isinstance(dataset, ParallelDataset):
        return any(item.image is None for item in dataset.items)
    return any(not conversation.images for conversation in dataset.conversations)


def _arguments(recipe: Recipe, out: Path, precision: str, find_unused: bool) -> Any:
    from transformers import TrainingArguments

    return TrainingArguments(
        output_dir=str(out / "checkpoints"),
        per_device_train_batch_size=recipe.batch_size,
        gradient_accumulation_steps=recipe.grad_accum,
        learning_rate=recipe.lr,
        lr_scheduler_type=recipe.schedule,
        warmup_steps=recipe.warmup_ratio,
        weight_decay=recipe.weight_decay,
        num_train_epochs=recipe.epochs,
        max_steps=recipe.max_steps,
        max_grad_norm=recipe.max_grad_norm,
        bf16=precision == "bf16",
        fp16=precision == "fp16",
        activation_checkpointing=recipe.gradient_checkpointing,
        activation_checkpointing_kwargs={"use_reentrant": False} if recipe.gradient_checkpointing else None,
        save_strategy="steps",
        save_steps=recipe.save_steps,
        save_total_limit=recipe.save_total_limit,
        logging_steps=recipe.logging_steps,
        seed=recipe.seed,
        data_seed=recipe.seed,
        report_to="none",
        remove_unused_columns=False,
        dataloader_pin_memory=False,
        ddp_find_unused_parameters=find_unused,
        use_cpu=not torch.cuda.is_available(),  # also makes a torchrun/accelerate launch on CPU use gloo DDP
    )


def save_outputs(
    trainer: RecipeTrainer, parts: RunParts, recipe: Recipe, out: Path, info: dict[str, Any]
) -> dict[str, Any]:
    """Write ``OUT/`` (main process only): weights with LoRA merged, processor, MoE, summary."""
    trainer.accelerator.wait_for_everyone()
    model = trainer.accelerator.unwrap_model(trainer.model)
    if recipe.lora is not None:
        model = model.merge_and_unload()
    moe = parrot_moe.detach(model)
    summary = _summary(trainer, parts, recipe, info, moe)
    if trainer.is_world_process_zero():
        model.save_pretrained(out)
        parts.processor.save_pretrained(out)
        if moe is not None:
            parrot_moe.save(moe, out)
        text = json.dumps(summary, indent=2, default=str) + "\n"
        (out / SUMMARY_FILE).write_text(text, encoding="utf-8")
    trainer.accelerator.wait_for_everyone()
    return summary


def _summary(
    trainer: RecipeTrainer, parts: RunParts, recipe: Recipe, info: dict[str, Any], moe: Any
) -> dict[str, Any]:
    trainable = {g: g in recipe.train for g in parts.counts}
    result = info["result"]
    return {
        "recipe": recipe.name,
        "paper": recipe.paper,
        "model": info["model"],
        "data": info["data"],
        "steps": trainer.state.global_step,
        "final_loss": next((h["loss"] for h in reversed(trainer.state.log_history) if "loss" in h), None),
        "train_loss": result.training_loss,
        "metrics": result.metrics,
        "world_size": trainer.args.world_size,
        "precision": parts.precision,
        "parameters_by_group": parts.counts,
        "trained_groups": sorted(g for g, on in trainable.items() if on),
        "lora": recipe.lora.model_dump() if recipe.lora else None,
        "lora_saved_as": "merged into the weights" if recipe.lora else None,
        "moe": {"residual_form": moe.config.residual_form, "query": moe.config.query} if moe else None,
        "module_groups": {g: list(p) for g, p in parts.groups.prefixes.items()},
    }
