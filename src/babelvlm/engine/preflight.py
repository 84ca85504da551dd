"""What ``run_eval`` does before it creates anything: load every task's samples (so a missing ``--data``,
an unsupported language or a bad row stops the run before a run directory or store exists), and refuse
to mix two models' results in one ``--out`` directory unless ``--overwrite`` is given."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from babelvlm.errors import ConfigError
from babelvlm.schema import Sample
from babelvlm.tasks.base import LoadOptions, Task
from babelvlm.tasks.skipped_rows import counting_skipped_rows

RUN_FILES = ("store.sqlite", "store.sqlite-wal", "store.sqlite-shm", "results.json", "samples.jsonl")
"""What ``--overwrite`` removes (a run's store and the files derived from it; nothing else)."""


@dataclass
class LoadedTask:
    """A task with all its samples loaded, and the rows skipped under ``--skip-bad-rows``."""

    task: Task
    samples: list[Sample] = field(default_factory=list)
    skipped_rows: list[str] = field(default_factory=list)


def load_tasks(tasks: list[Task], options: LoadOptions) -> list[LoadedTask]:
    """Load every task's samples now (a DataError or ConfigError surfaces before the run starts)."""
    loaded = []
    for task in tasks:
        with counting_skipped_rows() as skipped:
            samples = list(task.load(options))
        loaded.append(LoadedTask(task, samples, list(skipped)))
    return loaded


def stored_model(out: Path) -> tuple[str | None, str | None]:
    """The model name and fingerprint recorded in ``out/store.sqlite`` ((None, None) when there is no
    store), read without creating or changing anything."""
    path = out / "store.sqlite"
    if not path.is_file():
        return None, None
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
            rows = dict(db.execute("SELECT name, value FROM meta WHERE name IN ('model', 'fingerprint')"))
    except sqlite3.DatabaseError:
        return None, None  # opening the store later says what is wrong with it
    model = json.loads(rows["model"]) if "model" in rows else None
    fingerprint = json.loads(rows["fingerprint"]) if "fingerprint" in rows else None
    return model, fingerprint


def check_out_dir(out: Path, model: str, fingerprint: str, overwrite: bool) -> None:
    """Refuse to resume a run directory that holds another model's run (one whose answers differ: another
    name or fingerprint), since its results would be replaced; with ``overwrite`` remove that run."""
    old_model, old_fingerprint = stored_model(out)
    if old_model is None or (old_model == model and old_fingerprint in (None, fingerprint)):
        return
    if not overwrite:
        other = " with other weights or answer settings" if old_model == model else ""
        raise ConfigError(
            f"{out} already holds a run of {old_model}{other}, not of this {model} "
            "(fix: choose another --out, or add --overwrite to replace that run)"
        )
    for name in RUN_FILES:
        (out / name).unlink(missing_ok=True)
