"""Run progress: the planned total from the start, an ETA, plain lines when not on a terminal, and a
summary that says "interrupted" only for interrupts."""

from __future__ import annotations

import io
import time

from rich.console import Console

from babelvlm.engine.progress import RunProgress


def _console(terminal: bool) -> tuple[Console, io.StringIO]:
    buf = io.StringIO()
    return Console(file=buf, force_terminal=terminal, width=120), buf


def test_plain_lines_with_percentage_and_eta_when_not_a_terminal() -> None:
    console, buf = _console(terminal=False)
    with RunProgress(console=console, total=10, plain_every_s=0.0) as progress:
        for _ in range(4):
            progress.planned()
        progress.planned(cached=True)
        time.sleep(0.01)
        progress.finished(3, 1)
    lines = buf.getvalue().splitlines()
    assert lines[0] == "eval: 10 samples planned"
    assert lines[1].startswith("eval: 1/10 (10%) · done 0 · cached 1 · failed 0")
    assert lines[2].startswith("eval: 5/10 (50%) · done 3 · cached 1 · failed 1") and "ETA" in lines[2]
    assert lines[-1].startswith("finished: 5 samples · 3 answered · 1 cached · 1 failed")


def test_bar_total_is_the_planned_total_from_the_start() -> None:
    console, _ = _console(terminal=True)
    with RunProgress(console=console, total=40) as progress:
        assert progress._bar is not None
        assert progress._bar.tasks[0].total == 40
        progress.planned()
        progress.finished(1, 0)
        assert progress._bar.tasks[0].total == 40 and progress._bar.tasks[0].completed == 1
        assert progress.eta_s() is not None


def test_errors_are_not_called_interrupts() -> None:
    for exc, word in ((KeyboardInterrupt(), "interrupted"), (ValueError("x"), "stopped by an error")):
        console, buf = _console(terminal=False)
        try:
            with RunProgress(console=console, total=3):
                raise exc
        except (KeyboardInterrupt, ValueError):
            pass
        assert buf.getvalue().splitlines()[-1].startswith(word)
