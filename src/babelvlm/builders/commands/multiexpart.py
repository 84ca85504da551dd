"""``babelvlm build multiexpart``: Wikipedia XML dumps -> MultiExpArt JSON (full, align-10, align-5)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from babelvlm.builders.cli import (
    Executor,
    RayAddress,
    Rejects,
    Tasks,
    Workers,
    app,
    executor_options,
    print_stats,
)


@app.command("multiexpart")
def multiexpart_command(
    input: Annotated[
        list[Path],
        typer.Option("--input", help="Dumps (xxwiki-*.xml[.bz2], HTML *.ndjson) or folders; repeat."),
    ],
    out: Annotated[Path, typer.Option("--out", help="Output folder (re-running resumes).")],
    tasks: Tasks = 1,
    workers: Workers = 1,
    executor: Executor = "local",
    ray_address: RayAddress = None,
    rejects: Rejects = False,
) -> None:
    """Build the benchmark of "MultiExpArt" from Wikipedia artwork articles: sections, entities (links)
    and images, aligned across languages by interlanguage links; writes OUT/multiexpart_<setting>.json."""
    from babelvlm.builders.multiexpart_build import build_multiexpart
    from babelvlm.cli_errors import user_errors

    with user_errors():
        stats = build_multiexpart(
            list(input), out, executor_options(tasks, workers, executor, ray_address, rejects)
        )
        print_stats(stats)
        for task, rows in stats["settings"].items():
            typer.echo(f"{task}: {rows} rows -> {out / (task + '.json')}")
