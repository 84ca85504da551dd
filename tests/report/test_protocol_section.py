"""The report's per-category tables, MMMB pair counts, MultiExpArt pattern bars and skipped metrics."""

from __future__ import annotations

from babelvlm.report.protocol_section import pattern_bars, protocol_section
from babelvlm.schema import TaskResult


def _result(extra: dict[str, object]) -> TaskResult:
    return TaskResult(scores={"accuracy": 0.5}, n_samples=4, extra=extra)


def test_breakdown_tables_show_mean_and_count() -> None:
    extra = {"breakdowns": {"category": {"rows": "category", "cols": "language", "metrics": ["accuracy"],
             "table": {"color": {"en": {"n": 2.0, "accuracy": 0.5}, "pt": {"n": 1.0, "accuracy": 1.0}},
                       "logic": {"en": {"n": 3.0, "accuracy": 2 / 3}}}, "n_missing": 1}}}  # fmt: skip
    html = protocol_section("mmmb", _result(extra))
    assert 'id="breakdown-mmmb-category"' in html and "accuracy by category" in html
    assert "0.500 (n=2)" in html and "1.000 (n=1)" in html and "0.667 (n=3)" in html
    assert '<td class="l">–</td>' in html  # logic has no pt cell
    assert "1 sample(s) without a category label" in html


def test_pairs_and_skipped_metrics_are_said() -> None:
    extra = {
        "yes_no_pairs": {
            "by_language": {
                "en": {"pair_accuracy": 0.5, "n_pairs": 2, "n_pairs_failed": 0, "n_unpaired_rows": 3}
            },
            "note": "3 row(s) form no Yes/No pair",
        },
        "skipped_metrics": {"bertscore": "no -T bertscore_model=DIR given"},
    }  # fmt: skip
    html = protocol_section("mmmb", _result(extra))
    assert "3 row(s) form no Yes/No pair" in html and "0.500" in html
    assert "bertscore skipped: no -T bertscore_model=DIR given" in html


def test_pattern_bars_in_paper_order() -> None:
    patterns = {"L-L": {"n": 2.0, "entity_f1": 20.0}, "en-en": {"n": 3.0, "entity_f1": 40.0, "bleu": 5.0}}
    svg = pattern_bars(patterns, "multiexpart")
    assert svg is not None and svg.startswith("<svg")
    assert svg.index("en-en (n=3)") < svg.index("L-L (n=2)")
    html = protocol_section("multiexpart", _result({"patterns": patterns}))
    assert 'id="fig-multiexpart-patterns"' in html and '<td class="l">en-en</td>' in html
    assert pattern_bars({"en-en": {"n": 1.0, "output_length": 9.0}}, "x") is None


def test_judge_runs_table() -> None:
    extra = {
        "judge_repeats": {
            "n": 3,
            "metrics": {"judge_score": {"mean": 19 / 6, "sd": 1.443, "runs": [4.0, 4.0, 1.5]}},
        }
    }
    html = protocol_section("ja_vlm_bench_in_the_wild", _result(extra))
    assert "Judge runs (3" in html and "3.167" in html and "1.443" in html and "4.000, 4.000, 1.500" in html
