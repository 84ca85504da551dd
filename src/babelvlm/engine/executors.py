"""Executors send batches of requests to a backend and hand each batch's outputs back to the driver.

``local`` calls the backend in this process (in a bounded thread pool when the backend allows
concurrent calls); ``ray`` (``babelvlm.engine.ray_executor``) streams the batches to a pool of actors,
each holding one model replica (Ray local by default, a cluster with ``ray_address``). Both hand the
outputs to the same ``sink`` (the driver writes them to the run store), so both give the same results.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

from babelvlm.errors import BabelVLMError, ConfigError
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
        from babelvlm.engine.ray_executor import RayExecutor

        return RayExecutor(
            factory, model.batch_size, ray_address, actors=concurrency or 1, gpus_per_actor=ray_gpus
        )
    raise ConfigError(f"unknown executor '{kind}' (fix: --executor local or --executor ray)")
