"""write_report: a self-contained page with every section and figure, from a run directory."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from synthetic_run import write_synthetic_mi, write_synthetic_run

from babelvlm.errors import DataError
from babelvlm.report.html import write_report

RUN_FIGURES = (
    "fig-xtvqa-synth-matrix",
    "fig-xtvqa-synth-bars",
    "fig-xtvqa-synth-fidelity",
    "fig-xtvqa-synth-gaps",
    "fig-xtvqa-synth-by-image-lang",
)
MI_FIGURES = ("fig-mi-xtvqa-synth-scatter", "fig-mi-xtvqa-synth-entropy")


def test_report_has_every_section_and_figure(tmp_path: Path) -> None:
    run = write_synthetic_run(tmp_path / "run", n=200)
    path = write_report(run)
    assert path == run / "report.html"
    page = path.read_text(encoding="utf-8")
    for fig in RUN_FIGURES:
        assert f'id="{fig}"' in page
    assert page.count('class="bvlm-figure"') == len(RUN_FIGURES)
    assert page.count("<svg") == len(RUN_FIGURES)
    for text in (
        "English (en)",
        "Chinese (zh)",
        "image-text language",
        "Failures",
        "timeout",
        "Run metadata",
        "mock:synthetic-0",
        "Gaps with confidence intervals",
        "significant",
    ):
        assert text in page
    assert 'id="mi"' not in page
    # self-contained: no external resource of any kind
    for bad in ('href="http', "src=", "<link", "url(http", "@import", "<img"):
        assert bad not in page


def test_report_adds_the_mi_section(tmp_path: Path) -> None:
    run = write_synthetic_run(tmp_path / "run", n=200)
    write_synthetic_mi(run)
    page = write_report(run).read_text(encoding="utf-8")
    assert 'id="mi"' in page
    for fig in MI_FIGURES:
        assert f'id="{fig}"' in page
    assert "Pearson" in page and "H(Y|V,Q)" in page and "top-k approximation" not in page


def test_top_k_analysis_is_flagged(tmp_path: Path) -> None:
    run = write_synthetic_run(tmp_path / "run", n=100)
    write_synthetic_mi(run, top_k=20)
    page = write_report(run).read_text(encoding="utf-8")
    assert "top-k approximation (k = 20)" in page and "top-k (k=20)" in page


def test_gaps_are_computed_when_the_engine_did_not_store_them(tmp_path: Path) -> None:
    run = write_synthetic_run(tmp_path / "run", n=200)
    results = json.loads((run / "results.json").read_text(encoding="utf-8"))
    results["tasks"]["xtvqa_synth"]["extra"] = {}
    (run / "results.json").write_text(json.dumps(results), encoding="utf-8")
    page = write_report(run).read_text(encoding="utf-8")
    assert 'id="fig-xtvqa-synth-gaps"' in page


def test_missing_or_bad_files_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"results\.json: file not found"):
        write_report(tmp_path)
    (tmp_path / "results.json").write_text('{"model": "x"}', encoding="utf-8")
    with pytest.raises(DataError, match="not a BabelVLM results file"):
        write_report(tmp_path)
    run = write_synthetic_run(tmp_path / "run", n=20)
    with (run / "samples.jsonl").open("a", encoding="utf-8") as fh:
        fh.write("{broken\n")
    with pytest.raises(DataError, match="row 21"):
        write_report(run)


def test_tables_show_the_numbers_of_results_json(tmp_path: Path) -> None:
    """The headline and per-language tables print the run's own values (3 decimals), not just a layout."""
    import re

    run = write_synthetic_run(tmp_path / "run", n=200)
    task = json.loads((run / "results.json").read_text(encoding="utf-8"))["tasks"]["xtvqa_synth"]
    page = write_report(run).read_text(encoding="utf-8")
    cells = [re.sub(r"<[^>]+>", "", c) for c in re.findall(r"<td[^>]*>(.*?)</td>", page)]
    row = cells[cells.index("xtvqa_synth") : cells.index("xtvqa_synth") + 5]
    assert row == [
        "xtvqa_synth",
        "exact_match",
        f"{task['scores']['exact_match']:.3f}",
        str(task["n_samples"]),
        str(task["n_failed"]),
    ]
    for code, name in (("en", "English"), ("zh", "Chinese"), ("fr", "French"), ("de", "German")):
        at = cells.index(f"{name} ({code})")
        by_lang = task["by_language"][code]
        assert cells[at + 1 : at + 3] == [f"{by_lang['anls']:.3f}", f"{by_lang['exact_match']:.3f}"]
