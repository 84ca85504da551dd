"""The report's gap table: both references, n per cell, and the bootstrap used (paired or independent)."""

from __future__ import annotations

from babelvlm.analysis.gaps import gap_tables
from babelvlm.report.task_section import task_section
from babelvlm.schema import SampleScore, TaskResult


def _scores(shared_ids: bool) -> list[SampleScore]:
    out = []
    for i in range(12):
        for q, img, value in (("en", "en", 1.0), ("fr", "en", 0.5), ("fr", "fr", 0.75), ("en", "fr", 0.25)):
            sample_id = f"{q}-{img}/{i}" if shared_ids else f"{q}{img}{i}"
            out.append(SampleScore(sample_id, "t", q, "x", {"acc": value * (i % 3 + 1) / 3}, image_lang=img))
    return out


def _section(shared_ids: bool) -> str:
    scores = _scores(shared_ids)
    result = TaskResult(
        scores={"acc": 0.5},
        matrix={"en": {"en": {"acc": 1.0}}},
        matrix_axes=["lang", "image_lang"],
        n_samples=len(scores),
        primary_metric="acc",
        extra={"gaps": gap_tables(scores, ("lang", "image_lang"), "acc")},
    )
    return task_section("t", result, scores)


def test_gap_table_states_the_method_both_references_and_n() -> None:
    page = _section(shared_ids=True)
    assert "bootstrap" in page and "n (cell / ref)" in page and "12 / 12" in page
    assert "paired (12 items)" in page and "independent" not in page
    assert "fr-fr" in page and "en-en" in page  # en-fr against both its diagonal and English
    gap_part = page.split("<h3>Gaps with confidence intervals</h3>", 1)[1].split("<h3>", 1)[0]
    gap_table = gap_part[gap_part.index("<table") :].split("</table>", 1)[0]
    assert gap_table.count("<tr>") - 1 == 4  # 2 diagonal gaps + 2 en-en gaps (fr-en's references coincide)


def test_unshared_items_are_resampled_independently_and_say_so() -> None:
    page = _section(shared_ids=False)
    assert "independent" in page and "paired (" not in page
