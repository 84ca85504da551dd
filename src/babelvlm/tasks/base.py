"""The task protocol: a benchmark is a loader of samples (prompts built), a scorer and an aggregation.

A new benchmark is one module under ``babelvlm.tasks`` exposing ``TASKS: list[Task]`` plus one line in
``babelvlm.tasks.registry._TASK_MODULES``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from babelvlm.schema import Sample, SampleScore, TaskResult


@dataclass(frozen=True)
class TaskInfo:
    """Metadata shown by ``babelvlm tasks`` and stored in results."""

    name: str
    description: str
    paper: str
    languages: tuple[str, ...]
    formats: tuple[str, ...]
    metrics: tuple[str, ...]
    primary_metric: str
    matrix_axes: tuple[str, str] = ("lang", "image_lang")
    """SampleScore attribute names used as the matrix's row and column (``lang``, ``output_lang``,
    ``image_lang``)."""
    generative: bool = False
    """Free-form outputs whose language is identified (fidelity) against ``output_lang or lang``."""
    needs_data: bool = True
    """Whether ``--data PATH`` is required (False for generated benchmarks)."""
    extra: dict[str, str] = field(default_factory=dict)


@dataclass
class LoadOptions:
    """How to load a task's data."""

    data: Path | None = None
    langs: list[str] | None = None
    limit: int | None = None
    skip_bad_rows: bool = False
    images: Path | None = None
    """A local image cache directory (tasks whose data references images by URL)."""
    seed: int = 0
    extra: dict[str, str] = field(default_factory=dict)
    """Task-specific ``-T key=value`` options."""


class Task(ABC):
    """One benchmark (or one setting of it)."""

    info: TaskInfo

    @property
    def name(self) -> str:
        return self.info.name

    @abstractmethod
    def load(self, options: LoadOptions) -> Iterator[Sample]:
        """Yield samples in a deterministic order; images stay undecoded (``ImageRef``)."""

    @abstractmethod
    def score(self, sample: Sample, prediction: str) -> dict[str, float | None]:
        """Sample-level metric values for one prediction (None = undefined for this sample)."""

    def evidence(self, sample: Sample, prediction: str) -> dict[str, str]:
        """What the scorer read from the prediction, shown next to it in samples.jsonl and the report
        (e.g. the extracted option letter, the judge's rationale); none by default."""
        return {}

    def prepare_scoring(self, samples: list[Sample], predictions: dict[str, str]) -> None:
        """Optional hook run once before ``score`` is called per sample: tasks whose scoring calls a model
        (judges, translators) send all those calls here in one batched, concurrent go; ``score`` then
        finds the answers cached. ``predictions`` maps sample id -> answer text (failed ones left out)."""
        return None

    def aggregate(self, scored: list[SampleScore], n_samples: int) -> TaskResult:
        """Corpus-level results; the default is means overall, per language and per matrix cell."""
        from babelvlm.tasks.aggregate import default_aggregate

        return default_aggregate(self.info, scored, n_samples)


def limit_evenly(samples: Iterable[Sample], limit: int | None, key: str = "lang") -> list[Sample]:
    """Keep at most ``limit`` samples, taken round-robin across the values of ``key`` (e.g. languages),
    so that ``--limit`` never keeps only the first language."""
    items = list(samples)
    if limit is None or limit >= len(items):
        return items
    groups: dict[str, list[Sample]] = {}
    for s in items:
        groups.setdefault(str(getattr(s, key) or ""), []).append(s)
    out: list[Sample] = []
    idx = 0
    while len(out) < limit:
        for g in groups.values():
            if idx < len(g) and len(out) < limit:
                out.append(g[idx])
        idx += 1
    order = {id(s): i for i, s in enumerate(items)}
    return sorted(out, key=lambda s: order[id(s)])
