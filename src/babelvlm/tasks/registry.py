"""Task names -> tasks. Each module listed here exposes ``TASKS: list[Task]``."""

from __future__ import annotations

import importlib

from babelvlm.errors import UnknownNameError
from babelvlm.tasks.base import Task

_TASK_MODULES: tuple[str, ...] = (
    "babelvlm.tasks.generic",
    "babelvlm.tasks.babeltext",
    "babelvlm.tasks.multiexpart",
    "babelvlm.tasks.xtvqa",
    "babelvlm.tasks.mmbench",
    "babelvlm.tasks.llava_bench",
    "babelvlm.tasks.mmstar",
    "babelvlm.tasks.seedbench",
    "babelvlm.tasks.realworldqa",
    "babelvlm.tasks.japanese",
    "babelvlm.tasks.pixmo",
    "babelvlm.tasks.organism",
)

_cache: dict[str, Task] | None = None


def all_tasks() -> dict[str, Task]:
    """Every registered task by name (modules imported on first use)."""
    global _cache
    if _cache is None:
        found: dict[str, Task] = {}
        for module_name in _TASK_MODULES:
            module = importlib.import_module(module_name)
            for task in getattr(module, "TASKS", []):
                found[task.name] = task
        _cache = found
    return _cache


def get_task(name: str) -> Task:
    """The task called ``name``; an error lists the known names."""
    tasks = all_tasks()
    if name not in tasks:
        raise UnknownNameError("task", name, list(tasks))
    return tasks[name]
