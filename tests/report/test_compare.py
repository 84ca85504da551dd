"""write_comparison: runs side by side with per-language changes and their bootstrap CIs."""

from __future__ import annotations

from pathlib import Path

import pytest
from synthetic_run import write_synthetic_run

from babelvlm.errors import ConfigError
from babelvlm.report.compare import delta_rows, write_comparison
from babelvlm.report.rundata import load_run


def test_comparison_page(tmp_path: Path) -> None:
    before = write_synthetic_run(tmp_path / "before", n=400, seed=0)
    after = write_synthetic_run(tmp_path / "after", n=400, seed=1, shift=0.3)
    path = write_comparison([before, after], tmp_path / "cmp")
    assert path == tmp_path / "cmp" / "compare.html"
    page = path.read_text(encoding="utf-8")
    for fig in ("fig-xtvqa-synth-runs", "fig-xtvqa-synth-matrix-delta"):
        assert f'id="{fig}"' in page
    assert "before" in page and "after" in page and "Δ vs first run" in page and "English (en)" in page
    file_out = write_comparison([before, after], tmp_path / "x.html")
    assert file_out == tmp_path / "x.html" and file_out.exists()


def test_delta_rows_find_a_real_improvement(tmp_path: Path) -> None:
    before = load_run(write_synthetic_run(tmp_path / "b", n=800, seed=0))
    after = load_run(write_synthetic_run(tmp_path / "a", n=800, seed=1, shift=0.3))
    rows = delta_rows([before, after], ["b", "a"], "xtvqa_synth", "exact_match")
    assert len(rows) == 4
    for row in rows:
        assert row[4] == pytest.approx(row[3] - row[2])
    assert sum(r[6] == "yes" for r in rows) >= 3  # +0.2..0.3 on ~190 samples per language is significant
    again = delta_rows([before, after], ["b", "a"], "xtvqa_synth", "exact_match")
    assert again == rows  # seeded


def test_one_run_is_not_a_comparison(tmp_path: Path) -> None:
    run = write_synthetic_run(tmp_path / "r", n=20)
    with pytest.raises(ConfigError, match="at least two"):
        write_comparison([run], tmp_path / "out")


def test_changes_are_paired_on_shared_items(tmp_path: Path) -> None:
    """Same items in both runs: every per-language change is a paired bootstrap over them."""
    before = load_run(write_synthetic_run(tmp_path / "b", n=400, seed=0))
    after = load_run(write_synthetic_run(tmp_path / "a", n=200, seed=1, shift=0.3))
    rows = delta_rows([before, after], ["b", "a"], "xtvqa_synth", "exact_match")
    assert all(str(r[7]).startswith("paired (") for r in rows)
    # means over the shared items only: the first 200 samples of the baseline
    shared_en = [s for s in before.samples["xtvqa_synth"][:200] if s.lang == "en" and not s.failed]
    en = next(r for r in rows if r[1] == "English (en)")
    assert en[2] == pytest.approx(sum(s.scores["exact_match"] for s in shared_en) / len(shared_en))
    assert en[7] == f"paired ({len(shared_en)} items)"


def test_unshared_runs_are_stated_and_never_called_significant(tmp_path: Path) -> None:
    import json

    before = write_synthetic_run(tmp_path / "b", n=400, seed=0)
    after = write_synthetic_run(tmp_path / "a", n=400, seed=1, shift=0.3)
    lines = (after / "samples.jsonl").read_text(encoding="utf-8").splitlines()
    renamed = [json.dumps(json.loads(line) | {"sample_id": f"other-{i}"}) for i, line in enumerate(lines)]
    (after / "samples.jsonl").write_text("\n".join(renamed) + "\n", encoding="utf-8")
    runs = [load_run(before), load_run(after)]
    rows = delta_rows(runs, ["b", "a"], "xtvqa_synth", "exact_match")
    assert all(r[7] == "independent (no shared items)" and r[6] == "–" for r in rows)
    page = write_comparison([before, after], tmp_path / "cmp.html").read_text(encoding="utf-8")
    assert "What the runs do not share" in page and "independent (no shared items)" in page
    assert '<td class="">0</td><td class="">400</td><td class="">400</td>' in page  # 0 shared, 400 + 400 not


def test_languages_only_in_one_run_are_named(tmp_path: Path) -> None:
    import json

    from babelvlm.report.compare import coverage_rows

    before = write_synthetic_run(tmp_path / "b", n=200, seed=0)
    after = write_synthetic_run(tmp_path / "a", n=200, seed=1)
    lines = (after / "samples.jsonl").read_text(encoding="utf-8").splitlines()
    kept = [line for line in lines if json.loads(line)["lang"] != "zh"]
    (after / "samples.jsonl").write_text("\n".join(kept) + "\n", encoding="utf-8")
    rows = coverage_rows([load_run(before), load_run(after)], ["b", "a"], "xtvqa_synth")
    assert rows == [["a", "zh", "–", 200, 150, 150, 50, 0]]
