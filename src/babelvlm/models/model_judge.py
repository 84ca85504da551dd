"""A backend as an LLM judge: the ``JudgeFn`` that ``babelvlm.metrics.judge`` takes, over a ``ModelAPI``.

The metric library only fills prompts and parses replies; this module turns its ``(item_id, prompt)`` pairs
into requests at temperature 0, keyed by the judge's fingerprint (so the run store caches judgements and a
resumed run does not re-judge), and sends them batched and concurrently through ``generate_all``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from babelvlm.models.aux_cache import generate_all
from babelvlm.models.base import ModelAPI
from babelvlm.schema import Output, Request


class ModelJudge:
    """``JudgeFn`` over a backend: temperature 0, at most ``max_new_tokens`` per reply."""

    def __init__(self, model: ModelAPI, max_new_tokens: int = 1024) -> None:
        self.model, self.max_new_tokens = model, max_new_tokens

    def requests(self, prompts: Sequence[tuple[str, str]], task: str) -> list[Request]:
        """One temperature-0 request per prompt; the key holds everything that changes the answer."""
        return [
            Request(
                key=hashlib.sha256(
                    f"{self.model.fingerprint}\x00{self.max_new_tokens}\x00{prompt}".encode()
                ).hexdigest(),
                task=task,
                sample_id=item_id,
                prompt=prompt,
                max_new_tokens=self.max_new_tokens,
                temperature=0.0,
            )
            for item_id, prompt in prompts
        ]

    def __call__(self, prompts: Sequence[tuple[str, str]], task: str) -> list[Output]:
        """Answer the prompts in order (a crashing batch becomes failed outputs, never scores)."""
        return generate_all(self.model, self.requests(prompts, task))
