"""``mock:sequence``: a mock backend that gives the replies of ``-M replies='["a", "b"]'`` (a JSON list) in
turn, the n-th request of the process getting reply n mod len, whatever the prompt. It scripts answers
that must differ between identical requests, such as a judge's verdicts per run
(``babelvlm.tasks.judge_protocol``). Other options as ``mock:``: ``delay``, ``fail_rate``, ``seed``,
``batch_size``, ``max_concurrency``; failures are injected as in ``babelvlm.models.mock``.
"""

from __future__ import annotations

import json

from babelvlm.errors import ConfigError
from babelvlm.models.mock import MockModel, _number, injected_failure
from babelvlm.schema import Output, Request

_OPTIONS = ("replies", "delay", "fail_rate", "seed", "batch_size", "max_concurrency")


class SequenceModel(MockModel):
    """The replies in turn (see the module docstring)."""

    def __init__(self, replies: tuple[str, ...], **settings: float) -> None:
        super().__init__(
            "constant",
            delay=float(settings.get("delay", 0.0)),
            fail_rate=float(settings.get("fail_rate", 0.0)),
            seed=int(settings.get("seed", 0)),
            batch_size=int(settings.get("batch_size", 1)),
            max_concurrency=int(settings.get("max_concurrency", 1)),
        )
        if not replies:
            raise ConfigError('mock:sequence needs replies (fix: -M replies=\'["Score: 4", "Score: 5"]\')')
        self.mode, self.name = "sequence", "mock:sequence"
        self.replies, self._served = replies, 0

    @property
    def fingerprint(self) -> str:
        """The replies: a different script is a different model."""
        return "mock:sequence:" + json.dumps(list(self.replies), ensure_ascii=False)

    def _answer(self, request: Request) -> Output:
        if injected_failure(self.seed, request.key, request.attempt, self.fail_rate):
            return Output(error=f"mock: injected failure (attempt {request.attempt})")
        self._served += 1
        return Output(text=self.replies[(self._served - 1) % len(self.replies)])


def parse_replies(raw: str | None) -> tuple[str, ...]:
    """``-M replies='["a", "b"]'``: a JSON list of strings."""
    try:
        value = json.loads(raw) if raw is not None else None
    except json.JSONDecodeError:
        value = None
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise ConfigError(
            f'mock:sequence replies={raw!r} is not a JSON list of strings (fix: \'["a", "b"]\')'
        )
    return tuple(value)


def create_sequence(options: dict[str, str]) -> SequenceModel:
    """Factory for ``mock:sequence`` with ``-M`` options."""
    unknown = sorted(set(options) - set(_OPTIONS))
    if unknown:
        raise ConfigError(
            f"unknown mock:sequence option(s) {', '.join(unknown)} (known: {', '.join(_OPTIONS)})"
        )
    settings = {name: _number(options, name, 0.0) for name in _OPTIONS[1:] if name in options}
    return SequenceModel(parse_replies(options.get("replies")), **settings)
