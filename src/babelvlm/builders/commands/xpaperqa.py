"""``babelvlm build xpaperqa``: papers (PDF) -> XPaperQA (XT-VQA JSONL + page images)."""

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


@app.command("xpaperqa")
def xpaperqa_command(
    input: Annotated[Path, typer.Option("--input", help="A PDF or a folder of PDFs (papers).")],
    generator: Annotated[str, typer.Option("--generator", help="Model that writes and re-answers the QA.")],
    out: Annotated[Path, typer.Option("--out", help="Output folder (re-running resumes).")],
    langs: Annotated[str, typer.Option("--langs", help="Question languages (en, zh).")] = "en,zh",
    model_option: Annotated[list[str] | None, typer.Option("-M", help="Generator option key=value.")] = None,
    min_confidence: Annotated[int, typer.Option(help="Keep QA with confidence >= this.")] = 7,
    max_jaccard: Annotated[float, typer.Option(help="Drop questions more similar than this.")] = 0.1,
    max_edit_distance: Annotated[float, typer.Option(help="Re-answer edit distance allowed.")] = 0.5,
    consistency: Annotated[
        str, typer.Option(help="Compare re-answers by 'edit' distance or LLM 'judge'.")
    ] = "edit",
    ocr: Annotated[bool, typer.Option("--ocr/--no-ocr", help="OCR pages without a text layer.")] = True,
    tasks: Tasks = 1,
    workers: Workers = 1,
    executor: Executor = "local",
    ray_address: RayAddress = None,
    rejects: Rejects = True,
) -> None:
    """Generate yes-no, extractive and abstractive QA from paper pages with the prompts of "Cross-Lingual
    Text-Rich Visual Comprehension" (XT-VQA), filter them (confidence, similarity, consistency, yes/no
    balance) and write OUT/xtvqa.jsonl for `babelvlm eval --tasks xtvqa`."""
    from babelvlm.builders.xpaperqa import XPaperQAConfig, build_xpaperqa
    from babelvlm.cli_errors import user_errors
    from babelvlm.models.registry import parse_options

    with user_errors():
        config = XPaperQAConfig(
            input=input,
            generator=generator,
            out=out,
            generator_options=parse_options(model_option),
            langs=tuple(code.strip() for code in langs.split(",") if code.strip()),
            min_confidence=min_confidence,
            max_jaccard=max_jaccard,
            max_edit_distance=max_edit_distance,
            consistency=consistency,
            ocr=ocr,
        )
        stats = build_xpaperqa(config, executor_options(tasks, workers, executor, ray_address, rejects))
        print_stats(stats)
        typer.echo(f"XPaperQA: {out / 'xtvqa.jsonl'}")
