"""``babelvlm build webcorpus``: interleaved documents and alt-text pairs from web data (LLM-jp-3 VILA)."""

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
from babelvlm.cli_errors import user_errors


@app.command("webcorpus")
def webcorpus_command(
    input_path: Annotated[
        Path, typer.Option("--input", help="WARC/WAT file(s), a JSONL/parquet list, or a folder.")
    ],
    out: Annotated[Path, typer.Option("--out", help="Output directory (re-running resumes).")],
    lang: Annotated[str, typer.Option("--lang", help="Target language (ISO 639-1).")] = "ja",
    clip: Annotated[
        list[str] | None,
        typer.Option("--clip", help="Local CLIP/SigLIP model as hf:DIR (repeat to average)."),
    ] = None,
    tokenizer: Annotated[
        str | None, typer.Option("--tokenizer", help="LLM tokenizer dir (length filter).")
    ] = None,
    kind: Annotated[str, typer.Option("--kind", help="interleaved, pairs or both.")] = "both",
    fmt: Annotated[str, typer.Option("--format", help="webdataset (tar) or parquet.")] = "webdataset",
    sample_size: Annotated[int, typer.Option("--sample-size", help="Images per frequency sample.")] = 60_000,
    max_per_domain: Annotated[
        int, typer.Option("--max-per-domain", help="Images fetched per domain.")
    ] = 1000,
    concurrency: Annotated[int, typer.Option("--fetch-concurrency", help="Downloads in flight.")] = 16,
    timeout: Annotated[float, typer.Option("--fetch-timeout", help="Seconds per download.")] = 10.0,
    tasks: Tasks = 1,
    workers: Workers = 1,
    executor: Executor = "local",
    ray_address: RayAddress = None,
    rejects: Rejects = True,
) -> None:
    """Build an interleaved image-text corpus and alt-text pairs with the paper's filters (LLM-jp-3 VILA)."""
    with user_errors():
        from babelvlm.builders.fetch import FetchSettings
        from babelvlm.builders.webcorpus import KINDS, WebcorpusConfig, build_webcorpus
        from babelvlm.errors import ConfigError

        kinds = KINDS if kind == "both" else (kind,)
        if any(k not in KINDS for k in kinds):
            raise ConfigError(f"unknown --kind '{kind}' (fix: interleaved, pairs or both)")
        config = WebcorpusConfig(
            lang=lang,
            clip=tuple(clip or ()),
            tokenizer=tokenizer,
            fmt=fmt,
            kinds=kinds,
            sample_size=sample_size,
            max_per_domain=max_per_domain,
            fetch=FetchSettings(concurrency=concurrency, timeout_s=timeout),
        )
        options = executor_options(tasks, workers, executor, ray_address, rejects)
        stats = build_webcorpus(input_path, out, config, options)
        print_stats(stats)
        typer.echo(f"stats: {out / 'stats.json'}")
