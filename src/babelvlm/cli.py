"""``babelvlm``: one command line for evaluating, scoring, reporting and listing.

Other teams' modules are imported inside the commands, so one missing piece never breaks the others.
A ``BabelVLMError`` prints one red line and exits with status 2; any other exception keeps its traceback.
Exit statuses: ``cli_results.EXIT_CODES``.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from babelvlm.cli_errors import user_errors
from babelvlm.cli_results import EXIT_CODES, finish_run
from babelvlm.errors import ConfigError
from babelvlm.models.registry import parse_options

app = typer.Typer(
    help="BabelVLM: measure, explain and close the cross-lingual gap of vision-language models.",
    no_args_is_help=True,
    epilog=EXIT_CODES,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _err() -> Console:
    return Console(stderr=True)


def _out() -> Console:
    return Console()


def _csv(text: str) -> list[str]:
    return [t.strip() for t in text.split(",") if t.strip()]


@app.command("eval", epilog=EXIT_CODES)
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
    overwrite: Annotated[
        bool, typer.Option(help="Replace a run of another model in --out (otherwise an error).")
    ] = False,
    verbose: Annotated[bool, typer.Option(help="Show backend and Ray log messages.")] = False,
) -> None:
    """Evaluate a model on tasks; writes results.json, samples.jsonl, store.sqlite and report.html."""
    _set_verbose(verbose)
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
            overwrite=overwrite,
        )
        result = run_eval(config)
    finish_run(result, out)


def _set_verbose(verbose: bool) -> None:
    """``--verbose``: INFO messages of BabelVLM and the libraries it drives (Ray included)."""
    if verbose:
        logging.getLogger().setLevel(logging.INFO)


@app.command("score", epilog=EXIT_CODES)
def score_command(
    task: Annotated[str, typer.Option("--task", "-t", help="Task name.")],
    predictions: Annotated[
        Path,
        typer.Option(
            help='JSONL {"id"|"index"|"question_id": ..., "prediction": ...}, a VLMEvalKit .xlsx/.tsv/.csv '
            "prediction file, or an lmms-eval --log_samples JSONL."
        ),
    ],
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
    finish_run(result, out)


@app.command("report")
def report_command(
    run_dirs: Annotated[list[Path], typer.Argument(help="One run directory, or several to compare.")],
    out: Annotated[
        Path | None,
        typer.Option(help="Output file (default: DIR/report.html for one run, compare.html for several)."),
    ] = None,
) -> None:
    """Rebuild a run's report.html, or compare several runs in one page."""
    with user_errors():
        for d in run_dirs:
            if not (d / "results.json").is_file():
                raise ConfigError(f"{d} has no results.json (fix: point at a run directory made by eval)")
        if len(run_dirs) == 1:
            from babelvlm.report.html import write_report

            path = write_report(run_dirs[0], out)
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
        from babelvlm.demo import next_steps, run_demo

        result = run_demo(out=out)
    finish_run(result, out)
    _out().print(next_steps(out), soft_wrap=True)


@app.command("tasks")
def tasks_command() -> None:
    """List the tasks: name, languages, formats, metrics, paper."""
    with user_errors():
        from babelvlm.tasks.registry import all_tasks

        table = Table(title="BabelVLM tasks")
        table.add_column("task", no_wrap=True, min_width=max(len(n) for n in all_tasks()))
        for column in ("languages", "formats", "metrics", "paper"):
            table.add_column(column, overflow="fold")
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


def _add_build() -> None:
    from babelvlm.builders.cli import app as build_app

    app.add_typer(build_app, name="build")


_add_build()


def _add_translate() -> None:
    from babelvlm.builders.translate_cli import register

    register(app)


_add_translate()


def _add_train() -> None:
    from babelvlm.train.cli import train_command

    app.command("train")(train_command)


_add_train()


def _add_experiment() -> None:
    from babelvlm.experiments.cli import app as experiment_app

    app.add_typer(experiment_app, name="experiment")


_add_experiment()


def main() -> None:
    """Console entry point (``babelvlm``)."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    app()
