"""The LLM-judge protocol of the judged tasks (LLM-jp-3 VILA, section 4.3): which judge, how often.

Task options: ``-T judge=<model>`` (any model name), ``-T judge.<key>=<value>`` (that backend's options),
``-T judge_seed=0`` (the seed, for backends that take one; the paper's 0 by default; temperature is always
0) and ``-T judge_repeats=N`` (the paper averages 5 runs). With N > 1 every sample carries ``<metric>@r``
for each run r and the results report, per judge metric, the N run values, their mean (the headline) and
their sample standard deviation (n - 1) as ``<metric>_sd``. Each judgement is kept in the run store, so a
resumed run re-judges nothing. A failed judgement is excluded from its run, never a number.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from babelvlm.errors import ConfigError
from babelvlm.schema import SampleScore, TaskResult

if TYPE_CHECKING:
    from babelvlm.models.model_judge import ModelJudge

RunMetric = Callable[[list[SampleScore], int], dict[str, float | None]]
"""Computes a task's judge metrics for run r from the samples' ``<metric>@r`` values."""


@dataclass(frozen=True)
class JudgeSpec:
    """Which judge a task uses and how (see the module docstring)."""

    model: str
    options: tuple[tuple[str, str], ...] = ()
    repeats: int = 1
    seed: int = 0

    @classmethod
    def parse(cls, extra: Mapping[str, str]) -> JudgeSpec | None:
        """From ``-T`` options; None without ``judge``."""
        model = extra.get("judge") or None
        if model is None:
            return None
        repeats, seed = _integer(extra, "judge_repeats", 1), _integer(extra, "judge_seed", 0)
        if repeats < 1:
            raise ConfigError(f"-T judge_repeats={repeats} must be >= 1 (the paper uses 5)")
        options = tuple(sorted((k.split(".", 1)[1], v) for k, v in extra.items() if k.startswith("judge.")))
        return cls(model, options, repeats, seed)

    def meta(self) -> dict[str, Any]:
        """The sample-meta fields that carry the spec to scoring (and into samples.jsonl)."""
        return {"judge": self.model, "judge_repeats": self.repeats, "judge_seed": self.seed,
                "judge_options": dict(self.options)}  # fmt: skip

    @classmethod
    def from_meta(cls, meta: Mapping[str, Any]) -> JudgeSpec | None:
        """The spec a sample was loaded with (None: no judge)."""
        if not meta.get("judge"):
            return None
        options = tuple(sorted((meta.get("judge_options") or {}).items()))
        repeats, seed = int(meta.get("judge_repeats", 1)), int(meta.get("judge_seed", 0))
        return cls(str(meta["judge"]), options, repeats, seed)


def _integer(extra: Mapping[str, str], name: str, default: int) -> int:
    raw = extra.get(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"-T {name}={raw} is not a whole number (fix: e.g. -T {name}={default})") from None


class JudgePool:
    """The loaded judges of one task, one list (a judge per repeat) per spec."""

    def __init__(self) -> None:
        self._loaded: dict[JudgeSpec, list[ModelJudge]] = {}

    def judges(self, spec: JudgeSpec) -> list[ModelJudge]:
        """The spec's judges (loaded on first use; answers kept in the active run store)."""
        from babelvlm.models.judge_repeats import load_repeat_judges

        if spec not in self._loaded:
            self._loaded[spec] = load_repeat_judges(spec.model, dict(spec.options), spec.repeats, spec.seed)
        return self._loaded[spec]

    def first(self, model: str) -> ModelJudge:
        """Run 0's judge of an already loaded spec of ``model`` (else ``model`` with default settings),
        for callers that know only the judge's name (e.g. showing a judge's rationale)."""
        for spec, judges in self._loaded.items():
            if spec.model == model:
                return judges[0]
        return self.judges(JudgeSpec(model))[0]

    def clear(self) -> None:
        """Forget the loaded judges (tests swap the backend registry)."""
        self._loaded.clear()


def combine_repeats(per_repeat: Sequence[Mapping[str, float | None]]) -> dict[str, float | None]:
    """One sample's scores from its runs: each metric's mean over the runs where it is defined (None when
    none is), and with more than one run also ``<metric>@r`` for each run r."""
    names = list(dict.fromkeys(k for run in per_repeat for k in run))
    out: dict[str, float | None] = {}
    for name in names:
        values = [v for run in per_repeat if (v := run.get(name)) is not None]
        out[name] = sum(values) / len(values) if values else None
    if len(per_repeat) > 1:
        for r, run in enumerate(per_repeat):
            out.update({f"{name}@{r}": run.get(name) for name in names})
    return out


def run_means(metrics: Sequence[str]) -> RunMetric:
    """Run r's mean of each metric over the samples where ``<metric>@r`` is defined."""

    def compute(scored: list[SampleScore], r: int) -> dict[str, float | None]:
        out: dict[str, float | None] = {}
        for name in metrics:
            values = [v for s in scored if (v := s.scores.get(f"{name}@{r}")) is not None]
            out[name] = sum(values) / len(values) if values else None
        return out

    return compute


def add_repeat_summary(
    result: TaskResult, scored: list[SampleScore], repeats: int, run_metric: RunMetric
) -> None:
    """``extra['judge_repeats']`` (runs, mean, sd per metric); headline = mean over runs, with ``<m>_sd``."""
    if repeats < 2:
        return
    ok = [s for s in scored if not s.failed]
    runs = [run_metric(ok, r) for r in range(repeats)]
    table: dict[str, dict[str, Any]] = {}
    for name in dict.fromkeys(k for run in runs for k in run):
        values = [v for run in runs if (v := run.get(name)) is not None]
        mean = sum(values) / len(values) if values else None
        sd = statistics.stdev(values) if len(values) > 1 else None
        table[name] = {"runs": [run.get(name) for run in runs], "mean": mean, "sd": sd,
                       "n_runs_defined": len(values)}  # fmt: skip
        if mean is not None:
            result.scores[name] = mean
        if sd is not None:
            result.scores[f"{name}_sd"] = sd
    result.extra["judge_repeats"] = {
        "n": repeats,
        "metrics": table,
        "rule": "each run judged every answer once (temperature 0, the same seed); headline = mean over "
        "runs, sd = sample standard deviation (n - 1) over runs; a failed judgement is left out of its run",
    }
