"""How every ``babelvlm`` command reports a user error (one clean red line, exit status 2) and an
interrupt (one line, exit status 130)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.console import Console
from rich.markup import escape

from babelvlm.errors import BabelVLMError


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn a BabelVLMError into one red ``error: ...`` line on stderr and exit status 2 (no traceback);
    any other exception keeps its traceback (it is a bug to report)."""
    try:
        yield
    except BabelVLMError as exc:
        Console(stderr=True).print(f"[bold red]error:[/] {escape(str(exc))}", soft_wrap=True)
        raise typer.Exit(2) from None
    except KeyboardInterrupt:
        Console(stderr=True).print(
            "[yellow]interrupted[/]: finished answers are stored; re-run the same command to resume",
            soft_wrap=True,
        )
        raise typer.Exit(130) from None
