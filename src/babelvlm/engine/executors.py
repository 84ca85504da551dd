"""Executors send batches of requests to a backend and hand each batch's outputs back to the driver.

``local`` calls the backend in this process (in a bounded thread pool when the backend allows
concurrent calls); ``ray`` turns the requests into a Ray dataset and maps it through a pool of actors,
each holding one model replica (Ray local by default, a cluster with ``ray_address``). Both hand the
outputs to the same ``sink`` (the driver writes them to the run store), so both give the same results.
"""

from __future__ import annotations

import logging
import pickle
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any

from babelvlm.errors import BabelVLMError, ConfigError, MissingDependencyError
from babelvlm.models.base import ModelAPI
from babelvlm.schema import Output, Request

log = logging.getLogger(__name__)

Sink = Callable[[list[Request], list[Output]], None]
"""Receives each batch with its outputs, in the driver thread."""
ModelFactory = Callable[[], ModelAPI]


def safe_generate(model: ModelAPI, batch: list[Request]) -> list[Output]:
    """``model.generate`` with the contract enforced: an exception or a wrong number of outputs becomes
    one recorded failure per request (never a crash of the whole run, never a silent gap), and so does
    an empty (or whitespace-only) answer, which would otherwise be stored and scored as a real answer.
    Errors the user must fix (``BabelVLMError``) still stop the run; finished work is already stored."""
    try:
        outputs = model.generate(batch)
    except BabelVLMError:
        raise
    except Exception as exc:  # a backend bug or an infrastructure failure: record it per request
        log.debug("backend raised on a batch of %d", len(batch), exc_info=True)
        return [Output(error=f"backend raised {type(exc).__name__}: {exc}") for _ in batch]
    if len(outputs) != len(batch):
        msg = f"backend returned {len(outputs)} outputs for {len(batch)} requests"
        return [Output(error=msg) for _ in batch]
    return [_checked(o) for o in outputs]


def _checked(output: Output) -> Output:
    """``output`` when it carries a non-empty answer, else a failure saying why."""
    if output.ok and output.text and output.text.strip():
        return output
    error = output.error or ("backend returned an empty answer" if output.text is not None else None)
    return Output(error=error or "backend returned no text", latency_s=output.latency_s, meta=output.meta)


class Executor(ABC):
    """Runs batches of requests through a backend."""

    name: str = ""

    @abstractmethod
    def run(self, batches: Iterable[list[Request]], sink: Sink) -> None:
        """Send every batch and pass its outputs to ``sink`` as they complete."""


class LocalExecutor(Executor):
    """In-process execution; ``concurrency`` > 1 runs that many ``generate`` calls at once (threads)."""

    name = "local"

    def __init__(self, model: ModelAPI, concurrency: int = 1) -> None:
        self.model, self.concurrency = model, max(1, concurrency)

    def run(self, batches: Iterable[list[Request]], sink: Sink) -> None:
        """Sequential for concurrency 1; otherwise at most ``2 x concurrency`` batches in flight."""
        if self.concurrency == 1:
            for batch in batches:
                sink(batch, safe_generate(self.model, batch))
            return
        with ThreadPoolExecutor(self.concurrency, thread_name_prefix="babelvlm-generate") as pool:
            pending: dict[Future[list[Output]], list[Request]] = {}
            try:
                for batch in batches:
                    pending[pool.submit(safe_generate, self.model, batch)] = batch
                    if len(pending) >= 2 * self.concurrency:
                        _drain(pending, sink, wait_all=False)
            finally:  # a bad row stops the plan: still store what is in flight
                _drain(pending, sink, wait_all=True)


def _drain(pending: dict[Future[list[Output]], list[Request]], sink: Sink, wait_all: bool) -> None:
    while pending:
        done, _ = wait(list(pending), return_when=FIRST_COMPLETED)
        for fut in done:
            sink(pending.pop(fut), fut.result())
        if not wait_all:
            return


class _ModelActor:
    """A Ray actor holding one model replica; maps a batch of pickled requests to pickled outputs."""

    def __init__(self, factory: ModelFactory) -> None:
        self.model = factory()

    def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        requests = [pickle.loads(blob) for blob in batch["request"]]
        outputs = safe_generate(self.model, requests)
        return {"key": list(batch["key"]), "output": [pickle.dumps(o) for o in outputs]}


class RayExecutor(Executor):
    """Ray Data execution: requests as a dataset, ``map_batches`` through an ``ActorPoolStrategy`` pool.

    On a local instance the pool leaves one CPU to Ray's read tasks (a pool that takes every CPU
    deadlocks: see MODELS.md "Ray"); actors ask for a fractional CPU so that they fit beside them.
    """

    name = "ray"

    def __init__(
        self,
        factory: ModelFactory,
        batch_size: int,
        address: str | None = None,
        actors: int = 1,
        gpus_per_actor: float = 0.0,
    ) -> None:
        self.factory, self.batch_size = factory, max(1, batch_size)
        self.address, self.actors, self.gpus = address, max(1, actors), gpus_per_actor
        self._started = False

    def _init_ray(self) -> Any:
        try:
            import ray
        except ImportError as exc:
            raise MissingDependencyError("ray", "ray", "--executor ray") from exc
        self._started = not ray.is_initialized()
        if self._started:  # an unreachable cluster is one line with the fix; Ray quiet unless --verbose
            from babelvlm.engine.ray_setup import init_ray

            init_ray(ray, self.address, quiet=not log.isEnabledFor(logging.INFO))
        return ray

    def run(self, batches: Iterable[list[Request]], sink: Sink) -> None:
        """Collect the requests into a dataset, map it through the actor pool, write outputs back."""
        by_key: dict[str, Request] = {}
        for batch in batches:
            for req in batch:
                by_key[req.key] = req
        if not by_key:
            return
        ray = self._init_ray()
        try:
            self._map(ray, by_key, sink)
        finally:
            if self._started:
                ray.shutdown()

    def _map(self, ray: Any, by_key: dict[str, Request], sink: Sink) -> None:
        from ray.data import ActorPoolStrategy, DataContext

        DataContext.get_current().enable_progress_bars = False
        rows = [{"key": k, "request": pickle.dumps(r)} for k, r in by_key.items()]
        ds = ray.data.from_items(rows).map_batches(
            _ModelActor,
            fn_constructor_args=(self.factory,),
            batch_size=self.batch_size,
            batch_format="numpy",
            compute=ActorPoolStrategy(size=self.actors),
            num_cpus=0.5,
            num_gpus=self.gpus or None,
        )
        for out_batch in ds.iter_batches(batch_size=self.batch_size, batch_format="numpy"):
            reqs = [by_key[str(k)] for k in out_batch["key"]]
            sink(reqs, [pickle.loads(b) for b in out_batch["output"]])


def make_executor(
    kind: str,
    model: ModelAPI,
    factory: ModelFactory,
    *,
    concurrency: int | None = None,
    ray_address: str | None = None,
    ray_gpus: float = 0.0,
) -> Executor:
    """The executor called ``kind`` (``local`` or ``ray``)."""
    if kind == "local":
        return LocalExecutor(model, concurrency or model.max_concurrency)
    if kind == "ray":
        return RayExecutor(
            factory, model.batch_size, ray_address, actors=concurrency or 1, gpus_per_actor=ray_gpus
        )
    raise ConfigError(f"unknown executor '{kind}' (fix: --executor local or --executor ray)")
