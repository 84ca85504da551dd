"""``babelvlm translate`` and ``babelvlm agreement`` (top-level commands, registered by ``babelvlm.cli``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from babelvlm.cli_errors import user_errors


def translate_command(
    task: Annotated[
        str, typer.Option("--task", help="Task whose data format to read (mmbench, xtvqa, ...).")
    ],
    data: Annotated[Path, typer.Option("--data", help="The benchmark file in its public format.")],
    to: Annotated[str, typer.Option("--to", help="Target languages, e.g. fr,de.")],
    translator: Annotated[str, typer.Option("--translator", help="Model that translates (any backend).")],
    out: Annotated[Path, typer.Option("--out", help="Output folder (re-running resumes).")],
    model_option: Annotated[list[str] | None, typer.Option("-M", help="Translator option key=value.")] = None,
    source_lang: Annotated[
        str | None, typer.Option("--from", help="Source language (default: from the file).")
    ] = None,
    encoder: Annotated[
        str, typer.Option(help="Token encoder of eq. 1: smollm2, hf:DIR or gguf:FILE.")
    ] = "smollm2",
    theta: Annotated[float, typer.Option(help="Flag translations whose theta is below this.")] = 0.8,
    chrf_min: Annotated[float, typer.Option("--chrf", help="Flag back-translation chrF below this.")] = 30.0,
    review_all: Annotated[
        bool, typer.Option(help="Put every text in the review CSV, not only flagged.")
    ] = False,
) -> None:
    """Translate a benchmark into other languages, keeping ids and images, with back-translation checks
    (eq. 1 of "Cross-Lingual Text-Rich Visual Comprehension", chrF, language ID) and a review CSV."""
    from babelvlm.builders.translate import TranslateConfig, run_translate
    from babelvlm.langs import parse_langs
    from babelvlm.models.registry import parse_options

    with user_errors():
        config = TranslateConfig(
            task=task, data=data, to=parse_langs(to) or [], translator=translator, out=out,
            translator_options=parse_options(model_option), source_lang=source_lang, encoder=encoder,
            theta_threshold=theta, chrf_threshold=chrf_min, review_all=review_all,
        )  # fmt: skip
        stats = run_translate(config)
        for lang, row in stats["languages"].items():
            typer.echo(f"{lang}: {out / row['file']}  texts={row['texts']} flagged={row['flagged']} "
                       f"mean theta={row['mean_theta']}  review: {out / f'review_{lang}.csv'}")  # fmt: skip
        dropped = sum(stats["steps"][-1]["dropped"].values())
        if dropped:
            typer.secho(f"{dropped} items left out (translation failed; re-run to retry)", fg="red", err=True)


def agreement_command(
    files: Annotated[list[Path], typer.Argument(help="Filled review CSVs, one or more per annotator.")],
    out: Annotated[Path | None, typer.Option("--out", help="Also write the report as JSON here.")] = None,
    n_boot: Annotated[int, typer.Option(help="Bootstrap resamples for the 95% CIs (0 = none).")] = 1000,
) -> None:
    """Gwet's AC1, Fleiss' and Cohen's kappa of the reviewers, per language and per field, with bootstrap
    CIs (the agreement tables of "Multi-PixMo")."""
    from babelvlm.builders.agreement_report import agreement_report

    with user_errors():
        report = agreement_report(files, n_boot=n_boot)
        rows = [("all", report["overall"]), *report["by_language"].items(), *report["by_field"].items()]
        for name, row in rows:
            values = "  ".join(
                _value(k, row) for k in ("gwet_ac1", "fleiss_kappa", "cohen_kappa") if k in row
            )
            typer.echo(f"{name:<24} n={row['n_items']:<5} {values}")
        if out is not None:
            out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


def _value(name: str, row: dict[str, object]) -> str:
    value, ci = row[name], row["ci95"].get(name) if isinstance(row["ci95"], dict) else None
    text = "n/a" if value is None else f"{value:.3f}"
    if ci:
        text += f" [{ci[0]:.3f}, {ci[1]:.3f}]"
    return f"{name}={text}"


def register(app: typer.Typer) -> None:
    """Add ``translate`` and ``agreement`` to the main CLI."""
    app.command("translate")(translate_command)
    app.command("agreement")(agreement_command)
