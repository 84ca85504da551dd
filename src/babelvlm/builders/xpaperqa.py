"""``babelvlm build xpaperqa``: papers (PDF) -> XPaperQA in the XT-VQA JSONL format (seed 001 Figure 2;
SPEC 2). The pipeline is a list of counted steps (``xpaperqa_steps``, ``xpaperqa_filters``) run by the
builders framework; every model call goes through ``OUT/store.sqlite``, so a re-run resumes.

Out: ``OUT/xtvqa.jsonl`` (``babelvlm eval --tasks xtvqa --data OUT/xtvqa.jsonl``), ``OUT/images/``,
``OUT/stats.json`` (per step in, kept, dropped by reason) and ``OUT/rejects/`` (each drop with its reason).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from babelvlm.atomic import write_lines_atomic
from babelvlm.builders.qa_filters import MAX_EDIT_DISTANCE, MAX_JACCARD, MIN_CONFIDENCE
from babelvlm.builders.run import RunOptions, run_pipeline
from babelvlm.builders.steps import Step
from babelvlm.builders.xpaperqa_filters import (
    BalanceYesNo,
    ConfidenceFilter,
    NearDuplicateFilter,
    ReanswerCheck,
    TranslateQuestions,
    XtvqaWriter,
)
from babelvlm.builders.xpaperqa_steps import GenerateQA, ModelRef, ParseQA, PdfPages, QAPrompts
from babelvlm.errors import ConfigError


@dataclass
class XPaperQAConfig:
    """Settings of one ``babelvlm build xpaperqa`` run (thresholds: the paper's)."""

    input: Path
    generator: str
    out: Path
    generator_options: dict[str, str] = field(default_factory=dict)
    langs: tuple[str, ...] = ("en", "zh")
    min_confidence: int = MIN_CONFIDENCE
    max_jaccard: float = MAX_JACCARD
    max_edit_distance: float = MAX_EDIT_DISTANCE
    consistency: str = "edit"
    """How re-answers are compared: ``edit`` (edit distance, eq. 3) or ``judge`` (the appendix's prompt)."""
    max_content_chars: int = 3000
    dpi: int = 110
    ocr: bool = True


def pdf_files(path: Path) -> list[str]:
    """The PDFs under ``path`` (a file or a folder, searched recursively)."""
    if path.is_file():
        return [str(path)]
    files = sorted(str(p) for p in path.rglob("*") if p.suffix.lower() == ".pdf")
    if not files:
        raise ConfigError(f"no PDF under {path} (fix: --input DIR_OF_PDFS)")
    return files


def xpaperqa_steps(config: XPaperQAConfig) -> list[Step]:
    """The pipeline: pages -> prompts -> answers -> QA -> confidence -> similarity -> consistency ->
    yes/no balance -> questions in every language -> XT-VQA JSONL + images."""
    model = ModelRef(
        config.generator, tuple(sorted(config.generator_options.items())), str(config.out / "store.sqlite")
    )
    return [
        PdfPages(pdf_files(config.input), config.dpi, config.ocr),
        QAPrompts(config.langs, config.max_content_chars),
        GenerateQA(model),
        ParseQA(),
        ConfidenceFilter(config.min_confidence),
        NearDuplicateFilter(config.max_jaccard),
        ReanswerCheck(model, config.max_edit_distance, judge=config.consistency == "judge"),
        BalanceYesNo(),
        TranslateQuestions(model, config.langs),
        XtvqaWriter(str(config.out), config.langs),
    ]


def merge_parts(out: Path) -> Path:
    """Join the shards' ``parts/*.jsonl`` into ``xtvqa.jsonl``, sorted by id (the same file whatever the
    number of shards)."""
    rows: list[dict[str, Any]] = []
    for part in sorted((out / "parts").glob("*.jsonl")):
        rows.extend(json.loads(line) for line in part.read_text("utf-8").splitlines() if line.strip())
    rows.sort(key=lambda r: str(r["id"]))
    return write_lines_atomic(out / "xtvqa.jsonl", (json.dumps(r, ensure_ascii=False) for r in rows))


def build_xpaperqa(config: XPaperQAConfig, options: RunOptions | None = None) -> dict[str, Any]:
    """Run (or resume) the builder; returns the stats written to ``OUT/stats.json``."""
    if config.consistency not in ("edit", "judge"):
        raise ConfigError(f"unknown consistency check '{config.consistency}' (fix: --consistency edit|judge)")
    unknown = [lang for lang in config.langs if lang not in ("en", "zh")]
    if unknown:
        raise ConfigError(f"XPaperQA has prompts in en and zh only, not {unknown} (fix: --langs en,zh)")
    config.out.mkdir(parents=True, exist_ok=True)
    stats = run_pipeline(xpaperqa_steps(config), config.out, options or RunOptions())
    merge_parts(config.out)
    return stats
