"""``babelvlm train``: list the recipes, or run one (re-running the same command resumes)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from babelvlm.cli_errors import user_errors
from babelvlm.errors import ConfigError


def train_command(
    recipe: Annotated[str | None, typer.Argument(help="A recipe name (see --list) or a YAML file.")] = None,
    model: Annotated[
        str | None, typer.Option("--model", "-m", help="hf:<dir> of the model to train.")
    ] = None,
    data: Annotated[
        str | None,
        typer.Option(
            help="LLaVA JSON/JSONL, XT-VQA JSONL, HF parquet, or task:NAME?seed=N (a BabelVLM task)."
        ),
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Output directory (loads as hf:OUT; re-running resumes).")
    ] = None,
    set_: Annotated[
        list[str] | None, typer.Option("--set", help="Override a recipe key: max_steps=100, lora.r=16, ...")
    ] = None,
    list_: Annotated[bool, typer.Option("--list", help="List the shipped recipes and exit.")] = False,
) -> None:
    """Train a model with one of the papers' recipes (LoRA/SFT, VILA stages, Parrot MoE, MVCL-MI)."""
    with user_errors():
        if list_:
            _print_recipes()
            return
        if not (recipe and model and data and out):
            raise ConfigError("train needs RECIPE --model hf:DIR --data PATH --out DIR (or --list)")
        from babelvlm.train.run import train

        summary = train(recipe, model, data, out, set_ or [])
        if os.environ.get("RANK", "0") != "0":  # one line per run, not per process
            return
        typer.echo(
            f"{summary['recipe']}: {summary['steps']} steps, final loss {summary['final_loss']}; "
            f"saved to {out} (evaluate with: babelvlm eval --model hf:{out} ...)"
        )


def _print_recipes() -> None:
    from babelvlm.train.recipe import list_recipes

    table = Table("recipe", "trains", "lr", "loss", "paper")
    for name, recipe in list_recipes().items():
        trains = ", ".join(
            f"{g} (LoRA)" if recipe.lora and g in recipe.lora.groups else g for g in recipe.train
        )
        table.add_row(name, trains, f"{recipe.lr:g}", recipe.loss, recipe.paper)
    Console().print(table)
    folder = Path(__file__).parent / "accelerate"
    typer.echo(f"accelerate configs (accelerate launch --config_file F -m babelvlm.train ...): {folder}")
