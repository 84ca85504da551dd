"""Typed training recipes: one YAML per paper setting under ``recipes/``, or a user's YAML file.

A recipe is read top to bottom like a torchtune config; every key is typed on load and an unknown key,
a wrong type or a negative learning rate is a ``ConfigError`` naming the file, the key and the fix.
``--set key=value`` overrides any key (dotted for nested ones: ``lora.r=16``, ``modules.projector=...``).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from babelvlm.errors import ConfigError

GROUPS = ("vision", "projector", "llm", "moe")
Group = Literal["vision", "projector", "llm", "moe"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LoraSettings(_Strict):
    """LoRA on the linear layers of ``groups`` (peft); the other trained groups train in full."""

    groups: list[Group] = Field(default_factory=lambda: list[Group](["llm"]))
    r: int = Field(default=64, gt=0)
    alpha: int = Field(default=16, gt=0)
    dropout: float = Field(default=0.05, ge=0, lt=1)
    targets: list[str] | Literal["all-linear"] = "all-linear"
    exclude: list[str] = Field(default_factory=lambda: ["lm_head"])
    merge: bool = True
    """Merge the adapters into the saved weights (``hf:OUT`` then loads a plain model)."""


class MvclMiSettings(_Strict):
    """Weights of the two KL terms of eq. 10 (XT-VQA) and the target language of the parallel data."""

    alpha: float = Field(default=1.0, ge=0)
    beta: float = Field(default=1.0, ge=0)
    tgt_langs: list[str] | None = None
    """Target languages to pair with each item's source language (default: every other question)."""


class MoeSettings(_Strict):
    """The Parrot MoE on the projected visual tokens (eq. 2-5)."""

    enabled: bool = False
    experts: int = Field(default=6, gt=0)
    alpha: float = 0.1
    residual_form: Literal["paper", "code"] = "paper"
    expert: Literal["mlp", "swiglu"] = "mlp"
    hidden: int | None = Field(default=None, gt=0)
    """Expert hidden width (default: the LLM width, as Parrot's code: 4096 on a 4096-wide LLM)."""


class ModuleOverrides(_Strict):
    """Module paths (comma-separated, dotted from the model's root) that replace the architecture table."""

    vision: str | None = None
    projector: str | None = None
    llm: str | None = None


class Recipe(_Strict):
    """One training setting: what trains, how, on which loss, and how the run is saved."""

    name: str
    paper: str = ""
    description: str = ""
    train: list[Group]
    lora: LoraSettings | None = None
    loss: Literal["ce", "mvcl_mi"] = "ce"
    mvcl_mi: MvclMiSettings = Field(default_factory=lambda: MvclMiSettings())
    moe: MoeSettings = Field(default_factory=lambda: MoeSettings())
    modules: ModuleOverrides = Field(default_factory=ModuleOverrides)
    lr: float = Field(gt=0)
    schedule: Literal["cosine", "linear", "constant", "constant_with_warmup"] = "cosine"
    warmup_ratio: float = Field(default=0.0, ge=0, le=1)
    weight_decay: float = Field(default=0.0, ge=0)
    epochs: float = Field(default=1.0, gt=0)
    max_steps: int = -1
    batch_size: int = Field(default=8, gt=0)
    grad_accum: int = Field(default=1, gt=0)
    max_grad_norm: float = Field(default=1.0, ge=0)
    precision: Literal["auto", "fp32", "bf16", "fp16"] = "auto"
    gradient_checkpointing: bool = False
    group_by_length: bool = True
    max_length: int = Field(default=2048, gt=0)
    save_steps: int = Field(default=500, gt=0)
    save_total_limit: int = Field(default=2, gt=0)
    logging_steps: int = Field(default=1, gt=0)
    seed: int = 0
    trust_remote_code: bool = False
    """Load a model whose code ships in its folder (e.g. a custom LLaVA-style VLM); same as ``-M``."""

    @model_validator(mode="after")
    def _consistent(self) -> Recipe:
        if not self.train:
            raise ValueError("'train' lists no module group (fix: e.g. train: [projector, llm])")
        if "moe" in self.train and not self.moe.enabled:
            raise ValueError("'train' has moe but moe.enabled is false (fix: --set moe.enabled=true)")
        if self.lora is not None:
            outside = sorted(set(self.lora.groups) - set(self.train))
            if outside or "moe" in self.lora.groups:
                raise ValueError(
                    f"lora.groups {self.lora.groups} must be trained groups other than moe "
                    f"(fix: add them to 'train' or drop {outside or ['moe']})"
                )
        return self


def recipe_dir() -> Path:
    """The folder of the shipped recipes."""
    return Path(str(resources.files("babelvlm.train") / "recipes"))


def list_recipes() -> dict[str, Recipe]:
    """Every shipped recipe by name."""
    return {path.stem: load_recipe(path.stem) for path in sorted(recipe_dir().glob("*.yaml"))}


def load_recipe(name_or_path: str, overrides: list[str] | None = None) -> Recipe:
    """A shipped recipe by name, or a YAML file, with ``key=value`` overrides applied; typed."""
    path = Path(name_or_path)
    if not path.suffix:
        path = recipe_dir() / f"{name_or_path}.yaml"
        if not path.is_file():
            known = ", ".join(sorted(p.stem for p in recipe_dir().glob("*.yaml")))
            raise ConfigError(f"unknown recipe '{name_or_path}'; known recipes: {known} (or a YAML file)")
    if not path.is_file():
        raise ConfigError(f"recipe file {path} does not exist (fix: a shipped name or a YAML path)")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({exc})") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: a recipe is a mapping of keys (fix: 'lr: 1.0e-5' lines)")
    for item in overrides or []:
        _apply_override(data, item)
    try:
        return Recipe.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{path}: {_explain(exc)}") from None


def _apply_override(data: dict[str, Any], item: str) -> None:
    """Set ``a.b=value`` in ``data``; the value is parsed as YAML (numbers, booleans, lists)."""
    key, sep, raw = item.partition("=")
    if not sep or not key.strip():
        raise ConfigError(f"--set {item!r} is not key=value (fix: --set max_steps=100)")
    parts = key.strip().split(".")
    target = data
    for part in parts[:-1]:
        node = target.get(part)
        if node is None:
            node = target[part] = {}
        if not isinstance(node, dict):
            raise ConfigError(f"--set {item!r}: '{part}' is not a section")
        target = node
    try:
        target[parts[-1]] = yaml.safe_load(raw) if raw.strip() else None
    except yaml.YAMLError:
        target[parts[-1]] = raw


def _explain(exc: ValidationError) -> str:
    """One line per problem: the dotted key, what is wrong and the fix."""
    lines = []
    for error in exc.errors():
        key = ".".join(str(p) for p in error["loc"])
        if not key:  # a rule across keys (model validator): its message says what and the fix
            lines.append(str(error["msg"]).removeprefix("Value error, "))
        elif error["type"] == "extra_forbidden":
            lines.append(f"unknown key '{key}' (fix: remove it; known keys: {_known(error['loc'])})")
        else:
            lines.append(f"key '{key}': {error['msg']} (got {error.get('input')!r})")
    return "; ".join(lines)


def _known(loc: tuple[Any, ...]) -> str:
    model: type[BaseModel] = Recipe
    for part in loc[:-1]:
        field = model.model_fields.get(str(part))
        annotation = getattr(field, "annotation", None)
        for candidate in getattr(annotation, "__args__", (annotation,)):
            if isinstance(candidate, type) and issubclass(candidate, BaseModel):
                model = candidate
    return ", ".join(model.model_fields)
