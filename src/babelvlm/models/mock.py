"""``mock:<mode>``: a deterministic fake backend so every engine path runs without a model.

Modes: ``echo`` returns the prompt, ``answer`` the request's first reference (a perfect model),
``constant`` the text of ``-M text=...``, ``script`` the reply of the first rule of ``-M file=RULES.json``
whose ``contains`` strings all occur in the prompt (a JSON list of ``{"contains": [...], "reply": "..."}``;
no matching rule -> a failed Output), so a test can script a generator step by step. Options: ``delay``
(seconds per ``generate`` call), ``fail_rate`` (share of requests that fail), ``seed``, ``batch_size``,
``max_concurrency``.

Failures are a pure function of (seed, request key, attempt), so a test can predict them and a re-run
(attempt 2) can succeed where the first attempt failed.
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

from babelvlm.errors import ConfigError
from babelvlm.models.base import ModelAPI
from babelvlm.schema import Output, Request

MODES = ("echo", "answer", "constant", "script")
_OPTIONS = ("text", "file", "delay", "fail_rate", "seed", "batch_size", "max_concurrency")


def injected_failure(seed: int, key: str, attempt: int, fail_rate: float) -> bool:
    """Whether attempt ``attempt`` of ``key`` fails: sha256(seed, key, attempt) as a uniform in [0, 1)."""
    if fail_rate <= 0.0:
        return False
    digest = hashlib.sha256(f"{seed}:{key}:{attempt}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2.0**64 < fail_rate


class MockModel(ModelAPI):
    """The mock backend (see the module docstring)."""

    def __init__(
        self,
        mode: str,
        *,
        text: str = "",
        delay: float = 0.0,
        fail_rate: float = 0.0,
        seed: int = 0,
        batch_size: int = 1,
        max_concurrency: int = 1,
    ) -> None:
        if mode not in MODES:
            raise ConfigError(f"unknown mock mode '{mode}' (fix: use one of mock:{', mock:'.join(MODES)})")
        if not 0.0 <= fail_rate <= 1.0:
            raise ConfigError(f"mock option fail_rate={fail_rate} is not in [0, 1]")
        if batch_size < 1 or max_concurrency < 1 or delay < 0:
            raise ConfigError("mock options batch_size and max_concurrency must be >= 1, delay >= 0")
        self.mode, self.text, self.delay = mode, text, delay
        self.fail_rate, self.seed = fail_rate, seed
        self.batch_size, self.max_concurrency = batch_size, max_concurrency
        self.name = f"mock:{mode}"
        self.reads_references = mode == "answer"
        self.rules: list[tuple[list[str], str]] = []

    @property
    def fingerprint(self) -> str:
        """Mode and constant text: delay and failures never change a successful answer."""
        return f"mock:{self.mode}:{self.text}"

    def _answer(self, request: Request) -> Output:
        if injected_failure(self.seed, request.key, request.attempt, self.fail_rate):
            return Output(error=f"mock: injected failure (attempt {request.attempt})")
        if self.mode == "echo":
            return Output(text=request.prompt)
        if self.mode == "constant":
            return Output(text=self.text)
        if self.mode == "script":
            for needles, reply in self.rules:
                if all(n in request.prompt for n in needles):
                    return Output(text=reply)
            return Output(error="mock:script: no rule matches the prompt")
        if not request.references:
            return Output(error="mock:answer: the request has no reference answer")
        return Output(text=request.references[0])

    def generate(self, requests: list[Request]) -> list[Output]:
        """One Output per request; sleeps ``delay`` once per call (like one batched forward pass)."""
        start = time.perf_counter()
        if self.delay:
            time.sleep(self.delay)
        outputs = [self._answer(r) for r in requests]
        latency = time.perf_counter() - start
        for out in outputs:
            out.latency_s = latency
        return outputs


def _number(options: dict[str, str], name: str, default: float) -> float:
    raw = options.get(name)
    if raw is None:
        return default
    try:
        return float(raw)
    except ValueError:
        raise ConfigError(f"mock option {name}={raw!r} is not a number (fix: e.g. -M {name}=0.1)") from None


def read_rules(path: str) -> list[tuple[list[str], str]]:
    """The rules of ``mock:script`` from a JSON list of ``{"contains": [str, ...] | str, "reply": str}``."""
    try:
        data = json.loads(Path(path).read_text("utf-8"))
        rules = []
        for rule in data:
            needles = rule["contains"]
            rules.append(
                ([needles] if isinstance(needles, str) else [str(n) for n in needles], str(rule["reply"]))
            )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(
            f"mock:script rules {path}: {type(exc).__name__}: {exc} "
            '(fix: -M file=RULES.json with [{"contains": ["..."], "reply": "..."}, ...])'
        ) from None
    return rules


def create(target: str, options: dict[str, str]) -> MockModel:
    """Factory for ``mock:<mode>`` with ``-M`` options (see the module docstring)."""
    if target == "sequence":  # replies in turn, e.g. a judge scripted per run (babelvlm.models.mock_sequence)
        from babelvlm.models.mock_sequence import create_sequence

        return create_sequence(options)
    unknown = sorted(set(options) - set(_OPTIONS))
    if unknown:
        raise ConfigError(f"unknown mock option(s) {', '.join(unknown)} (known: {', '.join(_OPTIONS)})")
    mode = target or "echo"
    rules: list[tuple[list[str], str]] = []
    if mode == "script":
        if not options.get("file"):
            raise ConfigError("mock:script needs its rules (fix: -M file=RULES.json)")
        rules = read_rules(options["file"])
    model = MockModel(
        mode,
        text=json.dumps(rules, ensure_ascii=False) if rules else options.get("text", ""),
        delay=_number(options, "delay", 0.0),
        fail_rate=_number(options, "fail_rate", 0.0),
        seed=int(_number(options, "seed", 0)),
        batch_size=int(_number(options, "batch_size", 1)),
        max_concurrency=int(_number(options, "max_concurrency", 1)),
    )
    model.rules = rules
    return model
