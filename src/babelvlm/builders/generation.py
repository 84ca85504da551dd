"""Model calls of the builders (QA generation, re-answering, translation) through the engine's run store.

Every answer is recorded in ``OUT/store.sqlite`` (``babelvlm.engine.store.RunStore``) under the engine's
cache key, so a re-run of a builder sends only the prompts that have no answer yet (or failed before), and
every failed call is kept in the store's failure log. Calls are batched and run concurrently with the
backend's own settings (``-M concurrency=32`` for an OpenAI-compatible server).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from babelvlm.engine.requests import cache_key
from babelvlm.engine.store import RunStore
from babelvlm.models.aux_cache import CachedAuxModel, active_store
from babelvlm.models.registry import load_model
from babelvlm.schema import Output, Request


@dataclass(frozen=True)
class Ask:
    """One prompt a builder step sends: ``step`` and ``item`` name it in the store."""

    step: str
    item: str
    prompt: str
    images: list[bytes] = field(default_factory=list)
    max_new_tokens: int = 512


class StoredModel:
    """A model whose answers live in a builder's run store (see the module docstring)."""

    def __init__(self, name: str, options: dict[str, str] | None, store_path: Path) -> None:
        self.name = name
        self.model = CachedAuxModel(load_model(name, dict(options or {})))
        self.store = RunStore(store_path)

    def ask(self, asks: list[Ask]) -> list[Output]:
        """One Output per ask, in order: stored answers reused, the rest sent in one batched, concurrent
        call; the attempt number of each prompt comes from the store (a retry is attempt n + 1)."""
        if not asks:
            return []
        requests = [
            Request(
                key=cache_key(self.model.fingerprint, a.prompt, a.images, a.max_new_tokens, 0.0),
                task=a.step,
                sample_id=a.item,
                prompt=a.prompt,
                images=list(a.images),
                max_new_tokens=a.max_new_tokens,
            )
            for a in asks
        ]
        attempts = self.store.attempts(r.key for r in requests)
        for request in requests:
            request.attempt = attempts.get(request.key, 0) + 1
        with active_store(self.store):
            return self.model.generate(requests)

    def close(self) -> None:
        """Close the model and the store (everything is already committed)."""
        self.model.close()
        self.store.close()

    def __enter__(self) -> StoredModel:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
