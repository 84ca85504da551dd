"""``babelvlm train``: load a recipe, a model and data, set the trainable groups (full, LoRA, Parrot MoE),
train with ``RecipeTrainer`` (resuming from the last checkpoint in ``OUT/checkpoints``), and save ``OUT/``
as a ``save_pretrained`` directory that ``hf:OUT`` loads: LoRA merged into the weights, the MoE next to
them, plus ``train_log.jsonl``, ``train_summary.json`` and the ``recipe.json`` the run used."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from babelvlm.errors import ConfigError, MissingDependencyError
from babelvlm.models import parrot_moe
from babelvlm.models.hf import resolve_model_dir
from babelvlm.train.recipe import Recipe, load_recipe

log = logging.getLogger(__name__)

SUMMARY_FILE = "train_summary.json"
RECIPE_FILE = "recipe.json"
CHECKPOINTS = "checkpoints"


def train(
    recipe_spec: str, model: str, data: str, out: Path, overrides: list[str] | None = None
) -> dict[str, Any]:
    """Run (or resume, or find finished) one training run; returns ``train_summary.json``'s content."""
    recipe = load_recipe(recipe_spec, overrides)
    if not model.startswith("hf:"):
        raise ConfigError(f"--model {model}: training needs a local transformers model (fix: --model hf:DIR)")
    model_dir = resolve_model_dir(model.removeprefix("hf:"))
    out.mkdir(parents=True, exist_ok=True)
    settings = _check_same_recipe(out / RECIPE_FILE, recipe, data, model_dir)
    if (out / SUMMARY_FILE).is_file():
        log.warning("%s already holds a finished run; nothing to do", out)
        summary: dict[str, Any] = json.loads((out / SUMMARY_FILE).read_text(encoding="utf-8"))
        return summary
    try:
        from babelvlm.train.setup import build_trainer, save_outputs
    except ImportError as exc:
        raise MissingDependencyError(exc.name or "peft", "train", "babelvlm train") from exc
    trainer, parts = build_trainer(recipe, model_dir, data, out)
    last = _last_checkpoint(out / CHECKPOINTS)
    if trainer.is_world_process_zero():  # files are written by the main process only, once all checks passed
        from babelvlm.train.trainer import LOG_FILE, truncate_log

        (out / RECIPE_FILE).write_text(json.dumps(settings, indent=2) + "\n", encoding="utf-8")
        truncate_log(out / LOG_FILE, int(last.name.rsplit("-", 1)[1]) if last else 0)
    result = trainer.train(resume_from_checkpoint=str(last) if last else None)
    return save_outputs(trainer, parts, recipe, out, {"model": model, "data": data, "result": result})


def _check_same_recipe(path: Path, recipe: Recipe, data: str, model_dir: Path) -> dict[str, Any]:
    """A re-run resumes only with the same settings; it says which key changed otherwise."""
    current: dict[str, Any] = {
        "recipe": recipe.model_dump(mode="json"),
        "data": data,
        "model": str(model_dir),
    }
    if path.is_file():
        stored = json.loads(path.read_text(encoding="utf-8"))
        changed = sorted(k for k in current["recipe"] if stored["recipe"].get(k) != current["recipe"][k])
        changed += [k for k in ("data", "model") if stored.get(k) != current[k]]
        if changed:
            raise ConfigError(
                f"{path.parent} holds a run with other settings ({', '.join(changed)}); re-running resumes "
                "only the same command (fix: use another --out or the same --set values)"
            )
    return current


def _last_checkpoint(folder: Path) -> Path | None:
    """The newest complete ``checkpoint-N`` (Trainer writes ``trainer_state.json`` last)."""
    done = [p for p in folder.glob("checkpoint-*") if (p / "trainer_state.json").is_file()]
    return max(done, key=lambda p: int(p.name.rsplit("-", 1)[1]), default=None)


def _pad_token_id(model: Any) -> int:
    """The padding id (left out of the MoE's text keys at inference, where no attention mask reaches it)."""
    for config in (model.generation_config, model.config, getattr(model.config, "text_config", None)):
        pad = getattr(config, "pad_token_id", None)
        if pad is not None:
            return int(pad)
    return -1


def attach_moe(
    model: Any, recipe: Recipe, model_dir: Path, modules: tuple[str, str]
) -> parrot_moe.ParrotMoE | None:
    """The Parrot MoE for this run: the one saved in ``model_dir`` if any, else a fresh one (stage 2)."""
    if (model_dir / parrot_moe.CONFIG_FILE).is_file():
        return parrot_moe.load_into(model, model_dir)
    if not recipe.moe.enabled:
        return None
    settings = recipe.moe
    config = parrot_moe.MoeConfig(
        width=int(model.get_input_embeddings().weight.shape[1]),
        experts=settings.experts,
        alpha=settings.alpha,
        residual_form=settings.residual_form,
        expert=settings.expert,
        hidden=settings.hidden,
        projector=modules[0],
        language_model=modules[1],
        image_token_id=int(
            getattr(model.config, "image_token_id", getattr(model.config, "image_token_index", -1))
        ),
        pad_token_id=_pad_token_id(model),
    )
    moe = parrot_moe.ParrotMoE(config)
    parrot_moe.attach(model, moe)
    return moe
