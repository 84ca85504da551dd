"""Run a list of steps over N shards with datatrove's local or Ray executor, resumably, and write
``OUT/stats.json`` (per step: in, kept, dropped by reason; in = kept + sum(dropped) checked for every step).

Resume: datatrove writes a completion marker per finished shard (``OUT/logs/completions/NNNNN``); a relaunch
runs only the shards without one. A shard's outputs and rejects are renamed into place when it finishes, so
a shard killed half-way is simply run again from its start and nothing is lost or duplicated.
"""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from datatrove.data import Document
from datatrove.utils.stats import MetricStats

from babelvlm.atomic import write_text_atomic
from babelvlm.builders.rejects import RejectsWriter
from babelvlm.builders.steps import DROPPED_PREFIX, IN, KEPT, OUT, SKIPPED_PREFIX, Step
from babelvlm.errors import BabelVLMError, ConfigError, MissingDependencyError

log = logging.getLogger(__name__)

EXECUTORS = ("local", "ray")


class BuildIncompleteError(BabelVLMError):
    """Some shards failed; the finished ones are kept and a re-run resumes."""


@dataclass
class RunOptions:
    """How a pipeline runs: shards (``tasks``), parallel ``workers``, the executor and rejects."""

    tasks: int = 1
    workers: int = 1
    executor: str = "local"
    ray_address: str | None = None
    write_rejects: bool = True


@dataclass
class StepStats:
    """One row of ``stats.json``."""

    name: str
    unit: str
    n_in: int = 0
    kept: int = 0
    dropped: dict[str, int] = field(default_factory=dict)
    out: int | None = None
    skipped: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        row: dict[str, Any] = {"name": self.name, "unit": self.unit, "in": self.n_in, "kept": self.kept}
        row["dropped"] = dict(sorted(self.dropped.items()))
        if self.out is not None:
            row["out"] = self.out
        if self.skipped:
            row["skipped"] = "; ".join(sorted(set(self.skipped)))
        return row


class _ShardHooks:
    """Attaches a rejects writer to every step when a shard starts and closes it when the shard ends
    (datatrove calls pipeline callables with ``(data, rank, world_size)``)."""

    def __init__(self, steps: list[Step], rejects_dir: str | None) -> None:
        self.steps, self.rejects_dir = steps, rejects_dir
        self.writer: RejectsWriter | None = None

    def start(self, data: Iterable[Document] | None, rank: int = 0, world_size: int = 1) -> Any:
        if self.rejects_dir is not None:
            self.writer = RejectsWriter(Path(self.rejects_dir), rank)
        for step in self.steps:
            step.rejects = self.writer
        return data

    def finish(
        self, data: Iterable[Document] | None, rank: int = 0, world_size: int = 1
    ) -> Iterator[Document]:
        yield from data or ()
        if self.writer is not None:
            self.writer.close()


def _datatrove_pipeline(steps: list[Step], out: Path, write_rejects: bool) -> list[Any]:
    hooks = _ShardHooks(steps, str(out / "rejects") if write_rejects else None)
    return [_Hook("open rejects", hooks.start), *steps, _Hook("close rejects", hooks.finish)]


class _Hook:
    """A named pipeline callable (datatrove logs the pipeline by ``repr``)."""

    def __init__(self, name: str, call: Callable[..., Any]) -> None:
        self.name, self.call = name, call

    def __call__(self, data: Iterable[Document] | None, rank: int = 0, world_size: int = 1) -> Any:
        return self.call(data, rank, world_size)

    def __repr__(self) -> str:
        return f"BabelVLM: {self.name}"


def run_pipeline(steps: list[Step], out: Path, options: RunOptions) -> dict[str, Any]:
    """Run ``steps`` over ``options.tasks`` shards (resuming finished ones) and write ``OUT/stats.json``;
    returns its content."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    if options.executor not in EXECUTORS:
        raise ConfigError(f"unknown executor '{options.executor}' (fix: use one of {', '.join(EXECUTORS)})")
    pipeline = _datatrove_pipeline(steps, out, options.write_rejects)
    logs = str(out / "logs")
    if options.executor == "local":
        _run_local(pipeline, logs, options)
    else:
        _run_ray(pipeline, logs, options)
    stats = collect_stats(steps, out / "logs" / "stats", options.tasks)
    if stats["shards"]["finished"] < options.tasks:
        missing = options.tasks - stats["shards"]["finished"]
        raise BuildIncompleteError(
            f"{missing} of {options.tasks} shards did not finish (their error is in {out / 'logs'}); "
            "finished shards are kept (fix: correct the cause and re-run the same command to resume)"
        )
    write_text_atomic(out / "stats.json", json.dumps(stats, indent=2, ensure_ascii=False) + "\n")
    return stats


def _run_local(pipeline: list[Any], logs: str, options: RunOptions) -> None:
    """datatrove's local executor; one worker runs the shards in this process (datatrove's own loop would
    start a multiprocessing manager that a ``kill -9`` of this process leaves behind)."""
    from datatrove.executor import LocalPipelineExecutor

    executor = LocalPipelineExecutor(
        pipeline, tasks=options.tasks, workers=options.workers, logging_dir=logs, start_method="fork"
    )
    if options.workers > 1:
        executor.run()
        return
    for rank in executor.get_incomplete_ranks():
        executor.pipeline = copy.deepcopy(pipeline)  # fresh steps per shard, as datatrove's loop does
        executor._run_for_rank(rank)


def _run_ray(pipeline: list[Any], logs: str, options: RunOptions) -> None:
    """datatrove's Ray executor on the running Ray, or on one started here (a cluster with
    ``ray_address``) and shut down afterwards."""
    try:
        import ray
        from datatrove.executor.ray import RayPipelineExecutor
    except ImportError as exc:
        raise MissingDependencyError("ray", "ray", "--executor ray") from exc
    started = not ray.is_initialized()
    if started:
        ray.init(address=options.ray_address, log_to_driver=False)
    try:
        RayPipelineExecutor(
            pipeline, tasks=options.tasks, workers=options.workers, logging_dir=logs, mem_per_cpu_gb=0.25
        ).run()
    finally:
        if started:
            ray.shutdown()


def _total(value: Any) -> int:
    return int(MetricStats.from_dict(value).total)


def collect_stats(steps: list[Step], stats_dir: Path, tasks: int) -> dict[str, Any]:
    """Sum the per-shard counters datatrove saved into ``stats.json`` rows, checking that every step's
    in = kept + sum(dropped); a step skipped for lack of a model is listed under ``skipped``."""
    rows = [StepStats(step.name, step.unit) for step in steps]
    done = 0
    for rank in range(tasks):
        path = stats_dir / f"{rank:05d}.json"
        if not path.is_file():
            continue
        done += 1
        saved = json.loads(path.read_text(encoding="utf-8"))
        for row, block in zip(rows, saved, strict=True):
            _add_counters(row, block["stats"])
    for row in rows:
        if row.n_in != row.kept + sum(row.dropped.values()):
            raise RuntimeError(f"step {row.name}: in {row.n_in} != kept {row.kept} + dropped {row.dropped}")
    skipped = [f"{r.name}: {'; '.join(sorted(set(r.skipped)))}" for r in rows if r.skipped]
    return {
        "steps": [r.to_json() for r in rows],
        "shards": {"total": tasks, "finished": done},
        "skipped_steps": skipped,
    }


def _add_counters(row: StepStats, counters: dict[str, Any]) -> None:
    for label, value in counters.items():
        if label == IN:
            row.n_in += _total(value)
        elif label == KEPT:
            row.kept += _total(value)
        elif label == OUT:
            row.out = (row.out or 0) + _total(value)
        elif label.startswith(DROPPED_PREFIX):
            reason = label[len(DROPPED_PREFIX) :]
            row.dropped[reason] = row.dropped.get(reason, 0) + _total(value)
        elif label.startswith(SKIPPED_PREFIX):
            row.skipped.append(label[len(SKIPPED_PREFIX) :])


def skipped_lines(stats: dict[str, Any]) -> list[str]:
    """The loud notes for steps that ran without their model (for the CLI)."""
    return [f"SKIPPED (model not available) {line}" for line in stats.get("skipped_steps", [])]


StepsFactory = Callable[[], list[Step]]
