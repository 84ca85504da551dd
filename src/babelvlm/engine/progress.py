"""The run's progress (on stderr): a live bar with the planned total and an ETA on a terminal, plain
progress lines every few seconds otherwise (logs, CI), and a one-line summary at the end."""

from __future__ import annotations

import time
from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

PLAIN_EVERY_S = 10.0
"""Seconds between two plain progress lines when stderr is not a terminal."""


class RunProgress:
    """Counts planned, cached, answered and failed requests against the planned ``total`` (every sample
    of the run, known before the first request); shows them live and sums them up at the end."""

    def __init__(
        self,
        enabled: bool = True,
        console: Console | None = None,
        total: int | None = None,
        plain_every_s: float = PLAIN_EVERY_S,
    ) -> None:
        self.enabled = enabled
        self.console = console or Console(stderr=True)
        self.total = total
        self.plain_every_s = plain_every_s
        self.n_planned = self.n_cached = self.n_done = self.n_failed = 0
        self._start = self._last_line = time.perf_counter()
        self._bar: Progress | None = None
        self._task_id: TaskID | None = None

    def __enter__(self) -> RunProgress:
        self._start = self._last_line = time.perf_counter()
        if self.enabled and self.console.is_terminal:
            self._bar = Progress(
                TextColumn("[bold]eval[/]"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.description}"),
                TimeElapsedColumn(),
                TextColumn("ETA"),
                TimeRemainingColumn(),
                console=self.console,
                transient=True,
            )
            self._bar.start()
            self._task_id = self._bar.add_task(self._text(), total=self.total)
        elif self.enabled:
            self.console.print(f"eval: {self.total if self.total is not None else '?'} samples planned")
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._bar is not None:
            self._bar.stop()
        if self.enabled:
            self.console.print(self.summary(interrupted=exc_type is not None, stopped_by=exc), soft_wrap=True)

    @property
    def completed(self) -> int:
        """Samples accounted for: cached, answered or failed."""
        return self.n_cached + self.n_done + self.n_failed

    def _text(self) -> str:
        return f"done {self.n_done} · cached {self.n_cached} · [red]failed {self.n_failed}[/]"

    def eta_s(self) -> float | None:
        """Seconds left at the rate of the requests sent so far (None before the first one came back)."""
        sent = self.n_done + self.n_failed
        left = (self.total or 0) - self.completed
        elapsed = time.perf_counter() - self._start
        if self.total is None or sent == 0 or elapsed <= 0:
            return None
        return max(0.0, left * elapsed / sent)

    def plain_line(self) -> str:
        """One progress line for logs: counts, percentage, elapsed time and ETA."""
        total = self.total if self.total is not None else self.n_planned
        pct = f" ({100 * self.completed / total:.0f}%)" if total else ""
        eta = self.eta_s()
        return (
            f"eval: {self.completed}/{total}{pct} · done {self.n_done} · cached {self.n_cached} · "
            f"failed {self.n_failed} · {time.perf_counter() - self._start:.0f} s"
            + ("" if eta is None else f" · ETA {_duration(eta)}")
        )

    def _refresh(self) -> None:
        if self._bar is not None and self._task_id is not None:
            self._bar.update(
                self._task_id,
                total=self.total if self.total is not None else self.n_planned,
                completed=self.completed,
                description=self._text(),
            )
        elif self.enabled and time.perf_counter() - self._last_line >= self.plain_every_s:
            self._last_line = time.perf_counter()
            self.console.print(self.plain_line(), soft_wrap=True, markup=False, highlight=False)

    def planned(self, cached: bool = False, failed: bool = False) -> None:
        """One more sample planned (``cached``: already answered; ``failed``: a bad input)."""
        self.n_planned += 1
        self.n_cached += cached
        self.n_failed += failed
        if cached or failed:
            self._refresh()

    def finished(self, ok: int, failed: int) -> None:
        """A batch came back with ``ok`` answers and ``failed`` failures."""
        self.n_done += ok
        self.n_failed += failed
        self._refresh()

    def summary(self, interrupted: bool = False, stopped_by: BaseException | None = None) -> str:
        """One line: counts, elapsed time and throughput of the requests actually sent. ``interrupted``
        (Ctrl-C) and ``stopped_by`` (an error that ended the run) say why it ended early."""
        elapsed = time.perf_counter() - self._start
        sent = self.n_done + self.n_failed
        rate = sent / elapsed if elapsed > 0 else 0.0
        if stopped_by is not None and not isinstance(stopped_by, KeyboardInterrupt):
            head = "[yellow]stopped by an error[/]"
        else:
            head = "[yellow]interrupted[/]" if interrupted else "[green]finished[/]"
        return (
            f"{head}: {self.n_planned} samples · {self.n_done} answered · {self.n_cached} cached · "
            f"{'[red]' if self.n_failed else ''}{self.n_failed} failed{'[/]' if self.n_failed else ''} · "
            f"{elapsed:.1f} s ({rate:.0f} requests/s)"
        )


def _duration(seconds: float) -> str:
    """``42 s``, ``3 min 5 s`` or ``2 h 10 min``."""
    s = round(seconds)
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60} s"
    return f"{s // 3600} h {s % 3600 // 60} min"
