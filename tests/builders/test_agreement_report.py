"""``babelvlm agreement``: AC1 / Fleiss / Cohen from filled review CSVs equal the metric library's values."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from babelvlm.builders.agreement_report import agreement_report
from babelvlm.builders.review_csv import COLUMNS
from babelvlm.cli import app
from babelvlm.errors import DataError
from babelvlm.metrics.agreement import cohen_kappa, fleiss_kappa, gwet_ac1

RATINGS = {
    "ana": ["good", "good", "minor", "good", "major", "good", "good", "minor"],
    "ben": ["good", "minor", "minor", "good", "major", "good", "major", "good"],
    "cai": ["good", "good", "minor", "good", "good", "good", "major", "minor"],
}
ITEMS = [("fr", str(i), "question" if i % 2 else "A") for i in range(4)] + [
    ("de", str(i), "question") for i in range(4)
]


def _filled(folder: Path, annotator: str) -> Path:
    path = folder / f"review_{annotator}.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        for (lang, item, field), rating in zip(ITEMS, RATINGS[annotator], strict=True):
            writer.writerow(
                {"lang": lang, "item": item, "field": field, "annotator": annotator, "rating": rating}
            )
        writer.writerow({"lang": "fr", "item": "99", "field": "hint", "annotator": annotator})  # not rated
    return path


def test_agreement_equals_the_metric_library(tmp_path: Path) -> None:
    files = [_filled(tmp_path, name) for name in RATINGS]
    report = agreement_report(files, n_boot=200)
    labels = [[RATINGS[a][i] for a in sorted(RATINGS)] for i in range(len(ITEMS))]
    categories = ["good", "minor", "major"]
    assert report["overall"]["gwet_ac1"] == pytest.approx(gwet_ac1(labels, categories))
    assert report["overall"]["fleiss_kappa"] == pytest.approx(fleiss_kappa(labels, categories))
    fr = [labels[i] for i in range(4)]
    assert report["by_language"]["fr"]["gwet_ac1"] == pytest.approx(gwet_ac1(fr, categories))
    assert report["by_field"]["fr/question"]["n_items"] == 2
    low, high = report["overall"]["ci95"]["gwet_ac1"]
    assert low <= report["overall"]["gwet_ac1"] <= high

    two = agreement_report(files[:2], n_boot=0)
    expected = cohen_kappa(RATINGS["ana"], RATINGS["ben"], categories)
    assert two["overall"]["cohen_kappa"] == pytest.approx(expected)

    result = CliRunner().invoke(
        app, ["agreement", *map(str, files[:2]), "--n-boot", "50", "--out", str(tmp_path / "a.json")]
    )
    assert result.exit_code == 0, result.output
    assert f"cohen_kappa={expected:.3f}" in result.output
    assert json.loads((tmp_path / "a.json").read_text())["annotators"] == ["ana", "ben"]


def test_bad_rating_and_single_annotator_are_errors(tmp_path: Path) -> None:
    path = _filled(tmp_path, "ana")
    with pytest.raises(DataError, match=r">= 2"):
        agreement_report([path])
    text = path.read_text(encoding="utf-8-sig").replace(",good,", ",great,", 1)
    path.write_text(text, encoding="utf-8-sig")
    with pytest.raises(DataError, match="rating 'great'"):
        agreement_report([path, _filled(tmp_path, "ben")])
