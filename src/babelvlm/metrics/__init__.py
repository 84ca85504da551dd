"""BabelVLM metrics: ``get_metric(name)(prediction, references, lang="en", **kw) -> float``.

Also re-exports the multilingual answer extractors ``extract_yes_no``, ``extract_choice`` and ``read_yes_no``
(the yes/no with the language it was given in; loaded
lazily from ``babelvlm.metrics.extract``, so importing the metrics never depends on import order).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from babelvlm.metrics.batch import score_explanations
from babelvlm.metrics.registry import METRICS, MetricSpec, aggregate, defined, get_metric

if TYPE_CHECKING:
    from babelvlm.metrics.extract import extract_choice, extract_yes_no, read_yes_no

__all__ = [
    "METRICS",
    "MetricSpec",
    "aggregate",
    "defined",
    "extract_choice",
    "extract_yes_no",
    "get_metric",
    "read_yes_no",
    "score_explanations",
]


def __getattr__(name: str) -> Any:
    if name in ("extract_yes_no", "extract_choice", "read_yes_no"):
        from babelvlm.metrics import extract

        return getattr(extract, name)
    raise AttributeError(f"module 'babelvlm.metrics' has no attribute {name!r}")
