"""The Ray executor: requests stream to one pool of model actors in bounded windows.

The actors are started once per run (each loads its model replica once) and every batch goes to the next
free actor (``ray.util.ActorPool``), with at most ``IN_FLIGHT_PER_ACTOR`` batches per actor in flight, so
the driver never gathers the plan. Requests leave the driver without their image bytes: each carries its
``image_refs`` (a file path, base64 text or the parquet cell's bytes) and the actor reads the images,
so driver memory stays flat however many samples a run has (on a remote cluster, file images travel as
bytes, since the workers may not share the driver's files). Outputs come back to the same ``sink`` as
the local executor's, so both give the same results.

Ray Core actors rather than a Ray Data ``map_batches`` pipeline: a dataset is finite, and re-creating
one per window would restart its actor pool (and reload every model) each time.
"""

from __future__ import annotations

import logging
import pickle
from collections.abc import Iterable, Iterator
from dataclasses import replace
from typing import Any

from babelvlm.engine.executors import Executor, ModelFactory, Sink, safe_generate
from babelvlm.errors import BabelVLMError, MissingDependencyError
from babelvlm.schema import Output, Request

log = logging.getLogger(__name__)

IN_FLIGHT_PER_ACTOR = 2
"""Batches queued per actor: one being answered, one waiting, so an actor never idles between batches."""


class ModelActor:
    """One model replica; answers a pickled batch of image-less requests after reading their images."""

    def __init__(self, factory: ModelFactory) -> None:
        self.model = factory()

    def answer(self, blob: bytes) -> bytes:
        """Read each request's images from its refs, generate, and return ``[(key, Output)]`` pickled;
        an image that cannot be read is that request's recorded failure."""
        requests: list[Request] = pickle.loads(blob)
        ready: list[Request] = []
        outputs: dict[str, Output] = {}
        for req in requests:
            try:
                if req.image_refs and not req.images:
                    req.images = [ref.read_bytes() for ref in req.image_refs]
                ready.append(req)
            except (OSError, ValueError) as exc:
                outputs[req.key] = Output(error=f"image could not be read on the worker: {exc}")
        for req, out in zip(ready, safe_generate(self.model, ready) if ready else [], strict=True):
            outputs[req.key] = out
        return pickle.dumps([(req.key, outputs[req.key]) for req in requests])


def without_image_bytes(request: Request, shared_files: bool = True) -> Request:
    """The request as it travels to an actor: its image refs, not its bytes. Bytes stay when there are no
    refs to read them from, and when a ref is a file path the workers may not see (a remote cluster:
    ``shared_files`` False) -- still one window at a time, so the driver stays flat either way."""
    if not request.image_refs or (not shared_files and any(r.path for r in request.image_refs)):
        return replace(request, image_refs=[])
    return replace(request, images=[])


class RayExecutor(Executor):
    """Streams batches through ``actors`` Ray actors (Ray local by default, a cluster with ``address``)."""

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
        """Send every batch as soon as an actor slot is free; hand outputs to ``sink`` as they return.
        Ray starts only when there is a first batch to send."""
        stream = iter(batches)
        first = next(stream, None)
        if first is None:
            return
        ray = self._init_ray()
        try:
            self._stream(ray, _chain(first, stream), sink)
        finally:
            if self._started:
                ray.shutdown()

    def _stream(self, ray: Any, batches: Iterator[list[Request]], sink: Sink) -> None:
        from ray.util import ActorPool

        remote = ray.remote(num_cpus=0.5, num_gpus=self.gpus or None)(ModelActor)
        pool: Any = ActorPool([remote.remote(self.factory) for _ in range(self.actors)])
        waiting: dict[str, Request] = {}
        limit = IN_FLIGHT_PER_ACTOR * self.actors
        in_flight = 0
        try:
            for batch in batches:
                light = [without_image_bytes(r, shared_files=self.address is None) for r in batch]
                waiting.update((r.key, r) for r in light)
                pool.submit(lambda actor, blob: actor.answer.remote(blob), pickle.dumps(light))
                in_flight += 1
                if in_flight >= limit:
                    self._collect(pool, waiting, sink)
                    in_flight -= 1
        finally:  # a bad row stops the plan: still store what is in flight
            while pool.has_next():
                self._collect(pool, waiting, sink)

    @staticmethod
    def _collect(pool: Any, waiting: dict[str, Request], sink: Sink) -> None:
        """Wait for the next finished batch and pass it to ``sink``; a user error raised on an actor
        (``BabelVLMError``) is re-raised here as itself."""
        from ray.exceptions import RayTaskError

        try:
            pairs: list[tuple[str, Output]] = pickle.loads(pool.get_next_unordered())
        except RayTaskError as exc:
            if isinstance(exc.cause, BabelVLMError):
                raise exc.cause from None
            raise
        sink([waiting.pop(key) for key, _ in pairs], [out for _, out in pairs])


def _chain(first: list[Request], rest: Iterator[list[Request]]) -> Iterator[list[Request]]:
    yield first
    yield from rest
