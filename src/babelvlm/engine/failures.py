"""Failure reasons: the error texts of failed samples grouped into reasons a person can read and count
(shown at the end of every run, in results.json and in the report)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from babelvlm.schema import SampleScore

_RETRIED = re.compile(r"^failed after \d+ attempts; last error: ")
_FIX = re.compile(r" \(fix: .*\)$")
_ROW = re.compile(r"\brow \d+\b")
MAX_REASON_CHARS = 160


def failure_reason(error: str) -> str:
    """The reason of one error text: without the retry count, the fix hint and row numbers, so that the
    same cause on many samples counts as one reason."""
    first = error.strip().splitlines()[0] if error.strip() else "unknown error"
    text = _FIX.sub("", _RETRIED.sub("", first))
    return _ROW.sub("row N", text)[:MAX_REASON_CHARS]


def count_failure_reasons(scored: Iterable[SampleScore]) -> dict[str, int]:
    """Failed samples counted by reason, most common first."""
    counts = Counter(failure_reason(s.error) for s in scored if s.error is not None)
    return dict(counts.most_common())


def merge_reasons(tables: Iterable[dict[str, int]]) -> dict[str, int]:
    """Several reason tables (e.g. one per task) summed, most common first."""
    total: Counter[str] = Counter()
    for table in tables:
        total.update(table)
    return dict(total.most_common())
