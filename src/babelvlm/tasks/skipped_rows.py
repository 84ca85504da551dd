"""Counting the rows a loader skips under ``--skip-bad-rows``, so that the count reaches the results table,
results.json and the report instead of only a log line.

Loaders call ``record_skipped_row(error)`` where they skip; the engine wraps loading in
``counting_skipped_rows()`` (a context variable, so concurrent loads in other contexts do not mix).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

log = logging.getLogger(__name__)
_SKIPPED: ContextVar[list[str] | None] = ContextVar("babelvlm_skipped_rows", default=None)


def record_skipped_row(error: Exception) -> None:
    """Log and count one input row skipped because of ``error``."""
    log.warning("skipping bad row: %s", error)
    sink = _SKIPPED.get()
    if sink is not None:
        sink.append(str(error))


@contextmanager
def counting_skipped_rows() -> Iterator[list[str]]:
    """Collect the errors of the rows skipped inside the block (the list fills as loading proceeds)."""
    sink: list[str] = []
    token = _SKIPPED.set(sink)
    try:
        yield sink
    finally:
        _SKIPPED.reset(token)
