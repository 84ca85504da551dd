"""``babelvlm agreement``: inter-annotator agreement on filled review CSVs (Multi-PixMo's tables; SPEC 8).

Items are (language, item, field) texts; each annotator's CSV gives a rating per item (good / minor / major).
Per language and per field (and overall): Gwet's AC1 (primary), Fleiss' kappa (items rated by every
annotator) and, with exactly two annotators, Cohen's kappa, each with a percentile bootstrap 95% CI over
items (``n_boot`` resamples, fixed seed). The coefficients are ``babelvlm.metrics.agreement``'s.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from babelvlm.builders.review_csv import RATINGS, Rating, read_ratings
from babelvlm.errors import DataError
from babelvlm.metrics.agreement import cohen_kappa, fleiss_kappa, gwet_ac1

ItemRatings = dict[tuple[str, str, str], dict[str, str]]
"""(lang, item, field) -> annotator -> rating"""


def collect(paths: Sequence[Path]) -> ItemRatings:
    """Ratings of every item by every annotator; an annotator rating an item twice is a DataError."""
    items: ItemRatings = defaultdict(dict)
    for path in paths:
        for r in read_ratings(path):
            key = (r.lang, r.item, r.field)
            if r.annotator in items[key]:
                raise DataError(f"annotator '{r.annotator}' rates {key} twice", file=str(path),
                                fix="one rating per annotator and item")  # fmt: skip
            items[key][r.annotator] = r.rating
    return dict(items)


def _coefficients(rows: list[dict[str, str]], annotators: list[str]) -> dict[str, float | None]:
    multi = [list(r.values()) for r in rows if len(r) >= 2]
    out: dict[str, float | None] = {"gwet_ac1": gwet_ac1(multi, RATINGS) if multi else None}
    full = [[r[a] for a in annotators] for r in rows if all(a in r for a in annotators)]
    out["fleiss_kappa"] = fleiss_kappa(full, RATINGS) if full and len(annotators) >= 2 else None
    if len(annotators) == 2 and full:
        out["cohen_kappa"] = cohen_kappa([f[0] for f in full], [f[1] for f in full], RATINGS)
    return out


def _bootstrap(
    rows: list[dict[str, str]], annotators: list[str], n_boot: int, seed: int
) -> dict[str, list[float] | None]:
    rng = random.Random(seed)
    draws: dict[str, list[float]] = defaultdict(list)
    for _ in range(n_boot):
        sample = [rows[rng.randrange(len(rows))] for _ in rows]
        try:
            values = _coefficients(sample, annotators)
        except DataError:  # a resample without any doubly rated item has no coefficient
            continue
        for name, value in values.items():
            if value is not None:
                draws[name].append(value)
    return {name: _percentiles(values) if values else None for name, values in draws.items()}


def _percentiles(values: list[float]) -> list[float]:
    ordered = sorted(values)
    pick: Callable[[float], float] = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]  # noqa: E731
    return [pick(0.025), pick(0.975)]


def _group(rows: list[dict[str, str]], annotators: list[str], n_boot: int, seed: int) -> dict[str, Any]:
    values = _coefficients(rows, annotators)
    cis = _bootstrap(rows, annotators, n_boot, seed) if n_boot else {}
    return {"n_items": len(rows), **values, "ci95": {k: cis.get(k) for k in values}}


def agreement_report(paths: Sequence[Path], n_boot: int = 1000, seed: int = 0) -> dict[str, Any]:
    """Agreement overall, per language and per (language, field); see the module docstring."""
    items = collect(paths)
    annotators = sorted({a for ratings in items.values() for a in ratings})
    if len(annotators) < 2:
        raise DataError(
            f"ratings from {len(annotators)} annotator(s)", fix="pass the CSVs of >= 2 annotators"
        )
    by_lang: dict[str, list[dict[str, str]]] = defaultdict(list)
    by_field: dict[tuple[str, str], list[dict[str, str]]] = defaultdict(list)
    for (lang, _item, field), ratings in sorted(items.items()):
        by_lang[lang].append(ratings)
        by_field[(lang, field.split("#")[0])].append(ratings)
    return {
        "annotators": annotators,
        "categories": list(RATINGS),
        "overall": _group(list(items.values()), annotators, n_boot, seed),
        "by_language": {
            lang: _group(rows, annotators, n_boot, seed) for lang, rows in sorted(by_lang.items())
        },
        "by_field": {
            f"{lang}/{field}": _group(rows, annotators, n_boot, seed)
            for (lang, field), rows in sorted(by_field.items())
        },
    }


__all__ = ["Rating", "agreement_report", "collect"]
