"""``run_eval``: plan tasks x languages into requests, send what the store lacks, score from the store.

A run is a directory: ``store.sqlite`` (every request and answer), and files derived from it:
``results.json``, ``samples.jsonl``, ``report.html``. Re-running the same command resumes: finished
requests are never sent again, failed ones are retried.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from babelvlm import __version__
from babelvlm.atomic import write_text_atomic
from babelvlm.engine.executors import ModelFactory, make_executor
from babelvlm.engine.preflight import LoadedTask, check_out_dir, load_tasks
from babelvlm.engine.progress import RunProgress
from babelvlm.engine.requests import build_request
from babelvlm.engine.scoring import backend_evidence, sample_record, score_task
from babelvlm.engine.store import RunStore
from babelvlm.errors import ConfigError, DataError
from babelvlm.langs import get_language
from babelvlm.models.aux_cache import active_store
from babelvlm.models.base import ModelAPI
from babelvlm.models.registry import load_model
from babelvlm.schema import Output, Request, RunResult, Sample, SampleScore, TaskResult
from babelvlm.tasks.base import LoadOptions, Task
from babelvlm.tasks.registry import get_task

log = logging.getLogger(__name__)


@dataclass
class EvalConfig:
    """Settings of one ``babelvlm eval`` run (stored in results.json ``config``)."""

    model: str = "mock:echo"
    model_options: dict[str, str] = field(default_factory=dict)
    tasks: list[str] = field(default_factory=list)
    langs: list[str] | None = None
    limit: int | None = None
    out: Path = Path("runs/latest")
    data: Path | None = None
    images: Path | None = None
    executor: str = "local"
    ray_address: str | None = None
    skip_bad_rows: bool = False
    task_options: dict[str, str] = field(default_factory=dict)
    seed: int = 0
    concurrency: int | None = None
    """Concurrent ``generate`` calls (local) or actors (ray); default: the backend's max_concurrency."""
    max_pixels: int | None = None
    """Image pixel limit (default ``babelvlm.images.DEFAULT_MAX_PIXELS``)."""
    ray_gpus: float = 0.0
    """GPUs each Ray actor (model replica) reserves; 0 on CPU-only machines."""
    progress: bool = True
    write_report: bool = True
    overwrite: bool = False
    """Replace a run of another model in ``out`` (otherwise that is an error)."""


_DISPLAY_ONLY = ("progress", "write_report", "overwrite")
"""EvalConfig fields that change how a run is shown, not its results (left out of results.json)."""


@dataclass(frozen=True)
class ModelSpec:
    """A picklable model factory (what a Ray actor calls to build its replica)."""

    name: str
    options: dict[str, str]

    def __call__(self) -> ModelAPI:
        return load_model(self.name, self.options)


@dataclass
class _TaskPlan:
    task: Task
    loaded: list[Sample]
    """every sample of the task, loaded before the run started"""
    samples: list[Sample] = field(default_factory=list)
    keys: dict[str, str] = field(default_factory=dict)
    """sample id -> cache key"""
    bad: dict[str, str] = field(default_factory=dict)
    """sample id -> error (images that failed validation under --skip-bad-rows)"""


def _validate(config: EvalConfig) -> list[Task]:
    if not config.tasks:
        raise ConfigError("no task given (fix: --tasks jsonl or see `babelvlm tasks`)")
    for code in config.langs or []:
        get_language(code)
    if config.limit is not None and config.limit < 1:
        raise ConfigError(f"--limit must be >= 1, got {config.limit}")
    if config.executor not in ("local", "ray"):
        raise ConfigError(f"unknown executor '{config.executor}' (fix: --executor local or ray)")
    return [get_task(name) for name in config.tasks]


def load_options(config: EvalConfig) -> LoadOptions:
    """How the tasks of ``config`` load their data (shared with the MI analysis, so both see the same
    samples)."""
    return LoadOptions(
        data=config.data,
        langs=config.langs,
        limit=config.limit,
        skip_bad_rows=config.skip_bad_rows,
        images=config.images,
        seed=config.seed,
        extra=dict(config.task_options),
    )


def _plan_requests(
    plan: _TaskPlan,
    config: EvalConfig,
    model: ModelAPI,
    store: RunStore,
    seen: tuple[set[str], set[str]],
    progress: RunProgress,
) -> Iterator[Request]:
    """Stream the task's samples; record each in the store; yield requests not yet answered or queued."""
    done, queued = seen
    fingerprint, with_references = model.fingerprint, model.reads_references
    pending: list[tuple[Sample, str]] = []
    for sample in plan.loaded:
        if sample.id in plan.keys or sample.id in plan.bad:
            raise DataError(
                f"task '{sample.task}' yields sample id '{sample.id}' twice",
                file=str(config.data) if config.data else None,
                field="id",
                fix="give every row of the data a unique id",
            )
        plan.samples.append(sample)
        try:
            req = build_request(
                sample, fingerprint, max_pixels=config.max_pixels, with_references=with_references
            )
        except DataError as exc:
            if not config.skip_bad_rows:
                raise
            plan.bad[sample.id] = f"bad input: {exc}"
            progress.planned(failed=True)
            continue
        plan.keys[sample.id] = req.key
        pending.append((sample, req.key))
        if len(pending) >= 256:
            store.add_samples(pending)
            pending.clear()
        progress.planned(cached=req.key in done or req.key in queued)
        if req.key not in done and req.key not in queued:
            queued.add(req.key)
            yield req
    store.add_samples(pending)


def _batched(requests: Iterator[Request], size: int, store: RunStore) -> Iterator[list[Request]]:
    """Group requests into batches of ``size``, setting each request's attempt number from the store."""
    while batch := list(itertools.islice(requests, size)):
        attempts = store.attempts(r.key for r in batch)
        for r in batch:
            r.attempt = attempts.get(r.key, 0) + 1
        yield batch


@dataclass(frozen=True)
class _GivenModel:
    """Factory returning a model instance handed to ``run_eval`` (Ray ships a copy to each actor)."""

    model: ModelAPI

    def __call__(self) -> ModelAPI:
        return self.model


def _execute(
    config: EvalConfig, model: ModelAPI, factory: ModelFactory, plans: list[_TaskPlan], store: RunStore
) -> None:
    done = store.done_keys()
    queued: set[str] = set()
    executor = make_executor(
        config.executor,
        model,
        factory,
        concurrency=config.concurrency,
        ray_address=config.ray_address,
        ray_gpus=config.ray_gpus,
    )
    total = sum(len(plan.loaded) for plan in plans)
    with RunProgress(enabled=config.progress, total=total) as progress:

        def requests() -> Iterator[Request]:
            for plan in plans:
                yield from _plan_requests(plan, config, model, store, (done, queued), progress)

        def sink(batch: list[Request], outputs: list[Output]) -> None:
            store.record(batch, outputs)
            progress.finished(sum(o.ok for o in outputs), sum(not o.ok for o in outputs))

        with active_store(store):  # composite backends (translate:) keep their inner calls in the store
            executor.run(_batched(requests(), max(1, model.batch_size), store), sink)


def _score(plan: _TaskPlan, store: RunStore, seed: int) -> tuple[list[SampleScore], TaskResult]:
    results = store.results(plan.keys.values())
    predictions = {sid: results[key] for sid, key in plan.keys.items() if key in results}
    predictions.update({sid: (None, err) for sid, err in plan.bad.items()})
    metas = store.output_meta(plan.keys.values())
    evidence = {sid: backend_evidence(metas.get(key)) for sid, key in plan.keys.items()}
    with active_store(store):  # judges and translators called while scoring keep their answers here
        scored, result = score_task(plan.task, plan.samples, predictions, seed, evidence)
    by_id = {s.id: s for s in plan.samples}
    store.save_scores(sample_record(s, by_id[s.sample_id]) for s in scored)
    return scored, result


def _score_all(
    plans: list[_TaskPlan], loaded: list[LoadedTask], store: RunStore, seed: int
) -> dict[str, TaskResult]:
    """Score every task; each result counts the input rows skipped under --skip-bad-rows."""
    results: dict[str, TaskResult] = {}
    for plan, item in zip(plans, loaded, strict=True):
        result = _score(plan, store, seed)[1]
        result.n_skipped_rows = len(item.skipped_rows)
        results[plan.task.name] = result
    return results


def _config_dict(config: EvalConfig) -> dict[str, Any]:
    settings = {k: v for k, v in asdict(config).items() if k not in _DISPLAY_ONLY}
    return {k: (str(v) if isinstance(v, Path) else v) for k, v in settings.items()}


def write_results(out: Path, result: RunResult) -> Path:
    """Write ``results.json`` atomically (a temp file renamed into place)."""
    return write_text_atomic(out / "results.json", result.model_dump_json(indent=2))


def write_report_safely(out: Path) -> Path | None:
    """Build ``report.html`` with the report module; a failure is a warning (results are kept)."""
    try:
        from babelvlm.report.html import write_report

        return write_report(out)
    except Exception as exc:  # the report is derived data: never lose a run over it
        log.warning("report.html was not written: %s: %s", type(exc).__name__, exc)
        return None


def run_eval(config: EvalConfig, model: ModelAPI | None = None) -> RunResult:
    """Run (or resume) an evaluation and write results.json, samples.jsonl, store.sqlite, report.html."""
    tasks = _validate(config)
    out = Path(config.out)
    loaded = load_tasks(tasks, load_options(config))  # setup errors stop here: nothing created yet
    own_model = model is None
    factory: ModelFactory = ModelSpec(config.model, dict(config.model_options))
    if model is None:
        model = factory()
    else:
        factory = _GivenModel(model)
    try:
        check_out_dir(out, config.model, model.fingerprint, config.overwrite)
    except BaseException:
        if own_model:
            model.close()
        raise
    out.mkdir(parents=True, exist_ok=True)
    try:
        with RunStore(out / "store.sqlite") as store:
            store.set_meta("model", config.model)
            store.set_meta("fingerprint", model.fingerprint)
            plans = [_TaskPlan(item.task, item.samples) for item in loaded]
            _execute(config, model, factory, plans, store)
            results = _score_all(plans, loaded, store, config.seed)
            items = [(p.task.name, s.id) for p in plans for s in p.samples]
            store.export_samples(out / "samples.jsonl", items)
    finally:
        if own_model:
            model.close()
    run = RunResult(
        babelvlm_version=__version__,
        model=config.model,
        created=datetime.now(UTC).isoformat(timespec="seconds"),
        tasks=results,
        config=_config_dict(config),
    )
    write_results(out, run)
    if config.write_report:
        write_report_safely(out)
    return run
