"""``babelvlm``: one command line for evaluating, scoring, reporting and listing.

Other teams' modules are imported inside the commands, so one missing piece never breaks the others.
A ``BabelVLMError`` prints one red line and exits with status 2; any other exception keeps its traceback.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from babelvlm.cli_errors import user_errors
from babelvlm.errors import ConfigError
from babelvlm.models.registry import parse_options
from babelvlm.schema import TaskResult

app = typer.Typer(
    help="BabelVLM: measure, explain and close the cross-lingual gap of vision-language models.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _err() -> Console:
    return Console(stderr=True)


def _out() -> Console:
    return Console()


def _csv(text: str) -> list[str]:
    return [t.strip() for t in text.split(",") if t.strip()]


@app.command("eval")
def eval_command(
    model: Annotated[
        str, typer.Option("--model", "-m", help="mock:echo, hf:<dir>, openai:<url>#<model>, ...")
    ],
    tasks: Annotated[str, typer.Option("--tasks", "-t", help="Comma-separated task names.")],
    langs: Annotated[str | None, typer.Option(help="Comma-separated ISO 639-1 codes.")] = None,
    limit: Annotated[
        int | None, typer.Option(help="At most N samples per task (spread over languages).")
    ] = None,
    out: Annotated[Path, typer.Option(help="Run directory (re-running resumes).")] = Path("runs/latest"),
    data: Annotated[Path | None, typer.Option(help="Data file or folder of the task(s).")] = None,
    images: Annotated[Path | None, typer.Option(help="Local image cache folder.")] = None,
    executor: Annotated[str, typer.Option(help="local or ray.")] = "local",
    ray_address: Annotated[str | None, typer.Option(help="Ray cluster address (default: local Ray).")] = None,
    ray_gpus: Annotated[float, typer.Option(help="GPUs per Ray actor (model replica).")] = 0.0,
    model_option: Annotated[list[str] | None, typer.Option("-M", help="Model option key=value.")] = None,
    task_option: Annotated[list[str] | None, typer.Option("-T", help="Task option key=value.")] = None,
    skip_bad_rows: Annotated[
        bool, typer.Option(help="Skip (and count) bad rows instead of stopping.")
    ] = False,
    concurrency: Annotated[
        int | None, typer.Option(help="Concurrent generate calls (or Ray actors).")
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed for sampling and bootstrap.")] = 0,
    max_pixels: Annotated[int | None, typer.Option(help="Image pixel limit (default 64M).")] = None,
    no_progress: Annotated[bool, typer.Option("--no-progress", help="No progress bar.")] = False,
) -> None:
    """Evaluate a model on tasks; writes results.json, samples.jsonl, store.sqlite and report.html."""
    with user_errors():
        from babelvlm.engine.runner import EvalConfig, run_eval
        from babelvlm.langs import parse_langs

        config = EvalConfig(
            model=model,
            model_options=parse_options(model_option, "-M"),
            tasks=_csv(tasks),
            langs=parse_langs(langs),
            limit=limit,
            out=out,
            data=data,
            images=images,
            executor=executor,
            ray_address=ray_address,
            ray_gpus=ray_gpus,
            skip_bad_rows=skip_bad_rows,
            task_options=parse_options(task_option, "-T"),
            seed=seed,
            concurrency=concurrency,
            max_pixels=max_pixels,
            progress=not no_progress,
        )
        result = run_eval(config)
        _print_scores(result.tasks)
        _out().print(f"results: {out / 'results.json'}")


def _print_scores(tasks: Mapping[str, TaskResult]) -> None:
    table = Table("task", "metric", "score", "samples", "failed")
    for name, res in tasks.items():
        metric = res.primary_metric or next(iter(res.scores), "")
        value = res.scores.get(metric)
        table.add_row(
            name, metric, "-" if value is None else f"{value:.4g}", str(res.n_samples), str(res.n_failed)
        )
    _out().print(table)


@app.command("score")
def score_command(
    task: Annotated[str, typer.Option("--task", "-t", help="Task name.")],
    predictions: Annotated[Path, typer.Option(help='JSONL rows {"id": ..., "prediction": ...}.')],
    data: Annotated[Path | None, typer.Option(help="The task's data file or folder.")] = None,
    out: Annotated[Path, typer.Option(help="Output directory.")] = Path("runs/scored"),
    langs: Annotated[str | None, typer.Option(help="Comma-separated ISO 639-1 codes.")] = None,
    task_option: Annotated[list[str] | None, typer.Option("-T", help="Task option key=value.")] = None,
    seed: Annotated[int, typer.Option(help="Seed for bootstrap.")] = 0,
) -> None:
    """Score predictions made elsewhere; writes results.json, samples.jsonl and report.html."""
    with user_errors():
        from babelvlm.engine.score_file import score_predictions
        from babelvlm.langs import parse_langs

        result = score_predictions(
            task,
            predictions,
            data=data,
            out=out,
            langs=parse_langs(langs),
            task_options=parse_options(task_option, "-T"),
            seed=seed,
        )
        _print_scores(result.tasks)
        _out().print(f"results: {out / 'results.json'}")


@app.command("report")
def report_command(
    run_dirs: Annotated[list[Path], typer.Argument(help="One run directory, or several to compare.")],
    out: Annotated[Path | None, typer.Option(help="Output file (comparisons; default compare.html).")] = None,
) -> None:
    """Rebuild a run's report.html, or compare several runs in one page."""
    with user_errors():
        for d in run_dirs:
            if not (d / "results.json").is_file():
                raise ConfigError(f"{d} has no results.json (fix: point at a run directory made by eval)")
        if len(run_dirs) == 1:
            from babelvlm.report.html import write_report

            path = write_report(run_dirs[0])
        else:
            from babelvlm.report.compare import write_comparison

            path = write_comparison(run_dirs, out or Path("compare.html"))
        _out().print(f"report: {path}")


@app.command("demo")
def demo_command(
    out: Annotated[Path, typer.Option(help="Run directory.")] = Path("runs/demo"),
) -> None:
    """Run the main job on the embedded default model (offline)."""
    with user_errors():
        from babelvlm.demo import run_demo

        result = run_demo(out=out)
        _print_scores(result.tasks)
        _out().print(f"results: {out / 'results.json'}  report: {out / 'report.html'}")


@app.command("tasks")
def tasks_command() -> None:
    """List the tasks: name, languages, formats, metrics, paper."""
    with user_errors():
        from babelvlm.tasks.registry import all_tasks

        table = Table("task", "languages", "formats", "metrics", "paper", title="BabelVLM tasks")
        for name, task in sorted(all_tasks().items()):
            info = task.info
            table.add_row(
                name, ",".join(info.languages), ",".join(info.formats), ",".join(info.metrics), info.paper
            )
        _out().print(table)


@app.command("models")
def models_command() -> None:
    """List the model providers and how to name a model."""
    from babelvlm.models.registry import PROVIDER_HELP

    table = Table("provider", "usage", title="BabelVLM model providers")
    for provider, text in PROVIDER_HELP.items():
        table.add_row(provider, escape(text))
    _out().print(table)


def _add_analysis() -> None:
    from babelvlm.analysis.cli import app as analysis_app

    app.add_typer(analysis_app, name="analyze")


_add_analysis()


def _add_train() -> None:
    from babelvlm.train.cli import train_command

    app.command("train")(train_command)


_add_train()


def main() -> None:
    """Console entry point (``babelvlm``)."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    app()
