"""``babelvlm build ...``: the command group of every dataset builder.

Each builder's command is one module in ``babelvlm.builders.commands`` that decorates a function with
``@app.command("name")`` (import heavy modules inside the function); this module imports them all, so a new
builder needs no edit here. ``executor_options`` and ``print_stats`` give every builder the same
``--executor/--ray-address/--tasks/--workers`` options and the same summary (with the loud skipped notes).
"""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
from typing import TYPE_CHECKING, Annotated, Any

import typer

from babelvlm.cli_errors import user_errors
from babelvlm.errors import MissingDependencyError

if TYPE_CHECKING:
    from babelvlm.builders.run import RunOptions

app = typer.Typer(help="Build datasets: web corpora, instruction data, benchmarks.", no_args_is_help=True)

Tasks = Annotated[int, typer.Option("--tasks", help="Number of shards the input is dealt into.")]
Workers = Annotated[int, typer.Option("--workers", help="Shards processed at once.")]
Executor = Annotated[str, typer.Option("--executor", help="local (default) or ray.")]
RayAddress = Annotated[str | None, typer.Option("--ray-address", help="Ray cluster address (ray executor).")]
Rejects = Annotated[bool, typer.Option("--rejects/--no-rejects", help="Write dropped items with reasons.")]


@app.callback()
def _build() -> None:
    """Dataset builders: chains of counted steps; OUT/stats.json says what each step kept and dropped."""
    with user_errors():
        for package in ("datatrove", "warcio", "imagehash"):
            if importlib.util.find_spec(package) is None:
                raise MissingDependencyError(package, "builders", "babelvlm build")


def executor_options(
    tasks: int, workers: int, executor: str, ray_address: str | None, rejects: bool = True
) -> RunOptions:
    """The RunOptions of the common CLI options."""
    from babelvlm.builders.run import RunOptions

    return RunOptions(
        tasks=tasks, workers=workers, executor=executor, ray_address=ray_address, write_rejects=rejects
    )


def print_stats(stats: dict[str, Any]) -> None:
    """One line per step (in, kept, dropped by reason), then every skipped step in red on stderr."""
    from babelvlm.builders.run import skipped_lines

    for row in stats["steps"]:
        dropped = ", ".join(f"{k}={v}" for k, v in row["dropped"].items()) or "-"
        out = f" out={row['out']}" if "out" in row else ""
        typer.echo(
            f"{row['name']:<24} {row['unit']:<9} in={row['in']} kept={row['kept']}{out} dropped: {dropped}"
        )
    for line in skipped_lines(stats):
        typer.secho(line, fg=typer.colors.RED, err=True, bold=True)


def _load_commands() -> None:
    from babelvlm.builders import commands

    for module in pkgutil.iter_modules(commands.__path__):
        importlib.import_module(f"{commands.__name__}.{module.name}")


_load_commands()
