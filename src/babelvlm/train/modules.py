"""Module groups (``vision``, ``projector``, ``llm``, ``moe``) per architecture, from ``module_groups.yaml``.

A group is a list of dotted prefixes of parameter names; every parameter belongs to the group with the
longest matching prefix. An architecture missing from the table is an error that names the model's
top-level modules and the ``--set modules.<group>=...`` escape hatch (which also overrides the table).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

from babelvlm.errors import ConfigError
from babelvlm.train.recipe import ModuleOverrides

MOE_PREFIX = "parrot_moe"
BASE_GROUPS = ("vision", "projector", "llm")


@dataclass(frozen=True)
class ModuleGroups:
    """Parameter-name prefixes of each group, and how images join into a batch."""

    prefixes: dict[str, tuple[str, ...]]
    image_batching: str

    def group_of(self, param_name: str) -> str | None:
        """The group owning ``param_name`` (longest prefix), or None when no group claims it."""
        best, best_len = None, -1
        for group, prefixes in self.prefixes.items():
            for prefix in prefixes:
                if _under(param_name, prefix) and len(prefix) > best_len:
                    best, best_len = group, len(prefix)
        return best

    def module_names(self, group: str) -> tuple[str, ...]:
        """The dotted module paths of ``group``."""
        return self.prefixes.get(group, ())


def _under(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


@cache
def architecture_table() -> dict[str, dict[str, Any]]:
    """The shipped table, keyed by ``config.model_type``."""
    text = (resources.files("babelvlm.train") / "module_groups.yaml").read_text(encoding="utf-8")
    table: dict[str, dict[str, Any]] = yaml.safe_load(text)
    return table


def resolve_groups(model: Any, overrides: ModuleOverrides) -> ModuleGroups:
    """The groups of ``model``: the table row of its ``model_type`` with ``overrides`` applied."""
    model_type = str(getattr(model.config, "model_type", type(model).__name__))
    row = architecture_table().get(model_type)
    given = {g: getattr(overrides, g) for g in BASE_GROUPS if getattr(overrides, g)}
    if row is None and len(given) < len(BASE_GROUPS):
        raise ConfigError(
            f"architecture '{model_type}' ({type(model).__name__}) is not in the module-group table; its "
            f"top-level modules are: {', '.join(top_level_modules(model))} (fix: name the groups with "
            "--set modules.vision=... --set modules.projector=... --set modules.llm=..., dotted paths "
            "from the model root, comma-separated)"
        )
    prefixes: dict[str, tuple[str, ...]] = {}
    for group in BASE_GROUPS:
        if group in given:
            prefixes[group] = tuple(p.strip() for p in str(given[group]).split(",") if p.strip())
        else:
            prefixes[group] = tuple(row[group]) if row else ()
    prefixes["moe"] = (MOE_PREFIX,)
    _check_paths(model, prefixes)
    batching = str(row.get("image_batching", "concat")) if row else "concat"
    return ModuleGroups(prefixes=prefixes, image_batching=batching)


def top_level_modules(model: Any) -> list[str]:
    """Module paths two levels deep (``model.vision_tower``, ``lm_head``): what a user can name."""
    names: list[str] = []
    for name, child in model.named_children():
        grandchildren = [f"{name}.{sub}" for sub, _ in child.named_children()]
        names.extend(grandchildren if grandchildren and name == "model" else [name])
    return names


def _check_paths(model: Any, prefixes: dict[str, tuple[str, ...]]) -> None:
    """Every named path exists in the model (a parameter or a module)."""
    modules = dict(model.named_modules())
    params = dict(model.named_parameters())
    for group, paths in prefixes.items():
        for path in paths:
            if group != "moe" and path not in modules and path not in params:
                raise ConfigError(
                    f"module group '{group}': '{path}' is not a module of {type(model).__name__}; "
                    f"its top-level modules are: {', '.join(top_level_modules(model))} "
                    f"(fix: --set modules.{group}=<dotted path>)"
                )


def apply_trainable(model: Any, groups: ModuleGroups, full: list[str]) -> dict[str, int]:
    """Freeze every parameter, then unfreeze those of the ``full`` groups; returns parameter counts
    per group (trainable or not) for the summary."""
    counts: dict[str, int] = {}
    for name, param in model.named_parameters():
        group = groups.group_of(name) or "other"
        counts[group] = counts.get(group, 0) + param.numel()
        param.requires_grad_(group in full)
    return counts


def lora_targets(
    model: Any, groups: ModuleGroups, lora_groups: Sequence[str], targets: Any, exclude: list[str]
) -> list[str]:
    """Full names of the linear layers LoRA wraps: in ``lora_groups``, matching ``targets`` (a list of
    last-name parts, or ``all-linear``), minus names ending in one of ``exclude``."""
    import torch

    names: list[str] = []
    for name, module in model.named_modules():
        if not isinstance(module, torch.nn.Linear) or groups.group_of(name) not in lora_groups:
            continue
        last = name.rsplit(".", 1)[-1]
        if any(name == e or name.endswith("." + e) or last == e for e in exclude):
            continue
        if targets == "all-linear" or last in targets:
            names.append(name)
    if not names:
        raise ConfigError(
            f"LoRA found no linear layer in groups {lora_groups} matching {targets} "
            "(fix: --set lora.targets=[q_proj,v_proj] or all-linear)"
        )
    return names
