"""Repeated LLM judges (LLM-jp-3 VILA, section 4.3): the judge at temperature 0 and seed 0, run N times.

Even at temperature 0 and a fixed seed a hosted judge is not always deterministic, so the paper averages the
scores of 5 runs. Each repeat is the same judge under its own fingerprint (``#judge-repeat-r`` for r > 0):
its judgements get their own keys in the run store, so a resumed run finds every repeat's judgements and
re-judges nothing, and repeat 0 keeps the keys a single run always had. The model is loaded once.
"""

from __future__ import annotations

from babelvlm.models.aux_cache import CachedAuxModel
from babelvlm.models.base import ModelAPI
from babelvlm.models.model_judge import ModelJudge
from babelvlm.schema import Output, Request

SEEDED_PROVIDERS = ("openai",)
"""Backends that take a sampling seed option; llama.cpp runs with seed 0 and the others decode greedily."""


class RepeatTag(ModelAPI):
    """``inner`` under the fingerprint of repeat ``repeat``: the same calls under new cache keys."""

    def __init__(self, inner: ModelAPI, repeat: int) -> None:
        self.inner, self.repeat = inner, repeat
        self.name = inner.name
        self.batch_size, self.max_concurrency = inner.batch_size, inner.max_concurrency

    @property
    def fingerprint(self) -> str:
        suffix = f"#judge-repeat-{self.repeat}" if self.repeat else ""
        return self.inner.fingerprint + suffix

    def generate(self, requests: list[Request]) -> list[Output]:
        return self.inner.generate(requests)

    def close(self) -> None:
        if self.repeat == 0:
            self.inner.close()


def judge_options(name: str, options: dict[str, str], seed: int) -> dict[str, str]:
    """The judge's backend options with ``seed`` set (unless given) where the backend takes one."""
    from babelvlm.models.registry import parse_model_name

    provider, _ = parse_model_name(name)
    return {"seed": str(seed), **options} if provider in SEEDED_PROVIDERS else dict(options)


def load_repeat_judges(name: str, options: dict[str, str], repeats: int, seed: int = 0) -> list[ModelJudge]:
    """``repeats`` judges over one loaded backend ``name``, temperature 0, answers kept in the run store."""
    from babelvlm.models.registry import load_model

    inner = load_model(name, judge_options(name, options, seed))
    return [ModelJudge(CachedAuxModel(RepeatTag(inner, r))) for r in range(repeats)]
