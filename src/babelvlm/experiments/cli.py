"""``babelvlm experiment``: experiments built from BabelVLM's own train, eval, analyze and report."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from babelvlm.cli_errors import user_errors
from babelvlm.errors import ConfigError

app = typer.Typer(help="Experiments that test the papers' claims end to end.", no_args_is_help=True)


def _ints(text: str, what: str) -> tuple[int, ...]:
    try:
        values = tuple(int(x) for x in text.split(",") if x.strip())
    except ValueError:
        values = ()
    if not values:
        raise ConfigError(
            f"--{what} {text!r} is not a comma-separated list of integers (fix: --{what} 1,2,3)"
        )
    return values


@app.command("organism")
def organism_command(
    out: Annotated[Path, typer.Option(help="Output directory (re-running resumes).")] = Path("runs/organism"),
    quick: Annotated[bool, typer.Option(help="One seed, fewer steps and scenes (a CI-sized run).")] = False,
    seeds: Annotated[str, typer.Option(help="Training seeds, comma-separated.")] = "1,2,3",
    arms: Annotated[str, typer.Option(help="Arms to run (A is the baseline): A,B,C,D.")] = "A,B,C,D",
    workers: Annotated[int, typer.Option(help="Arm runs at a time (one thread each when > 1).")] = 2,
    stage1_steps: Annotated[int | None, typer.Option(help="Stage-1 steps (default 120; quick 40).")] = None,
    arm_steps: Annotated[int | None, typer.Option(help="Steps per arm (default 100; quick 40).")] = None,
) -> None:
    """The model organism: a small VLM from packaged pretrained parts, trained here in four arms
    (English-only SFT, 90/10 multilingual SFT, MVCL-MI, Parrot MoE) over three seeds; writes
    OUT/organism.json and OUT/report.html."""
    with user_errors():
        from dataclasses import replace

        from babelvlm.experiments.organism.experiment import (
            ExperimentConfig,
            run_experiment,
        )
        from babelvlm.experiments.organism.experiment import (
            quick as quick_config,
        )

        config = ExperimentConfig(
            out=out,
            seeds=_ints(seeds, "seeds"),
            arms=tuple(a.strip().upper() for a in arms.split(",") if a.strip()),
            workers=max(1, workers),
        )
        if quick:
            config = quick_config(config)
        if stage1_steps is not None:
            config = replace(config, stage1_steps=stage1_steps)
        if arm_steps is not None:
            config = replace(config, arm_steps=arm_steps)
        console = Console()
        result = run_experiment(config, say=lambda line: console.print(line, markup=False))
        _print_summary(console, result)
        console.print(f"organism.json: {out / 'organism.json'}\nreport: {out / 'report.html'}")


def _print_summary(console: Console, result: dict[str, object]) -> None:
    stages = Table("stage", "seconds", title="Time per stage")
    for stage, seconds in dict(result["stages"]).items():  # type: ignore[call-overload]
        stages.add_row(str(stage), f"{float(seconds):.0f}")
    stages.add_row("total (minutes)", f"{float(result['minutes']):.1f}")  # type: ignore[arg-type]
    console.print(stages)
    claims = Table("paper", "claim", "value [95% CI]", "verdict", title="The papers' claims on the organism")
    for claim in result["claims"]:  # type: ignore[attr-defined]
        ci = claim["ci"]
        value = "–" if claim["value"] is None else f"{claim['value']:+.3f}"
        if ci:
            value += f" [{ci[0]:+.3f}, {ci[1]:+.3f}]"
        claims.add_row(claim["paper"].split(":")[0], claim["claim"], value, claim["verdict"])
    console.print(claims)
