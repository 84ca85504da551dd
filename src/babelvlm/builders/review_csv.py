"""The review CSV of translated benchmarks: one row per flagged text, filled in by people (SPEC 8, 11).

Columns a person fills: ``annotator`` (their name), ``rating`` (``good`` / ``minor`` / ``major``: no error,
a small error, a wrong translation) and ``correction`` (the corrected text, optional). Several annotators
each fill a copy; ``babelvlm agreement`` reads the copies and reports Gwet's AC1, Cohen's and Fleiss' kappa.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from babelvlm.builders.translation_checks import CheckedText
from babelvlm.errors import DataError

COLUMNS = (
    "lang", "item", "field", "source", "translation", "back_translation", "theta", "chrf", "detected_lang",
    "flags", "annotator", "rating", "correction",
)  # fmt: skip
RATINGS = ("good", "minor", "major")


def write_review(path: Path, lang: str, checked: Iterable[CheckedText]) -> int:
    """Write the review CSV (UTF-8 with BOM, so spreadsheet programs read it); returns the row count."""
    rows = 0
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for c in checked:
            theta = "" if c.theta is None else f"{c.theta:.4f}"
            score = "" if c.chrf is None else f"{c.chrf:.1f}"
            back, detected = c.back_translation or "", c.detected_lang or ""
            flags = "; ".join(c.flags)
            cells = [lang, c.item, c.field, c.source, c.translation, back, theta, score, detected, flags]
            writer.writerow([*cells, "", "", ""])
            rows += 1
    tmp.replace(path)
    return rows


@dataclass(frozen=True)
class Rating:
    """One filled review row."""

    annotator: str
    lang: str
    item: str
    field: str
    rating: str


def read_ratings(path: Path) -> list[Rating]:
    """The rated rows of a filled review CSV (rows left unrated are skipped); a bad rating is a DataError."""
    out = []
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in ("lang", "item", "field", "rating") if c not in (reader.fieldnames or [])]
        if missing:
            raise DataError(f"missing column(s) {missing}", file=str(path), fix="use a CSV made by translate")
        for number, row in enumerate(reader, start=1):
            rating = (row.get("rating") or "").strip().lower()
            if not rating:
                continue
            if rating not in RATINGS:
                raise DataError(f"rating '{rating}' is not one of {', '.join(RATINGS)}", file=str(path),
                                row=number, field="rating", fix="write good, minor or major")  # fmt: skip
            annotator = (row.get("annotator") or "").strip() or path.stem
            out.append(Rating(annotator, row["lang"], row["item"], row["field"], rating))
    return out
