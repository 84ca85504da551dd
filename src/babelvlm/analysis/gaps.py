"""Language-matrix gaps with seeded, paired bootstrap confidence intervals (SPEC 1 and 2, issue 5, 12).

For a matrix with row axis ``r`` and column axis ``c`` (SampleScore attribute names such as ``lang`` and
``image_lang``) every cell holds the mean of one metric. Each cell is compared with two references:

- ``diagonal``: the same-language diagonal of the column language, cell (q, i) against (i, i) -
  XT-VQA's ``score_src - score_tgt`` (SPEC 2);
- ``en-en``: the English cell - MultiExpArt's deltas (SPEC 1).

``gaps`` holds the task's own reference (en-en for instruction x output matrices when there is an en-en
cell, else the diagonal); ``gaps_by_reference`` holds both. Absolute drop = ref - cell; relative drop =
(ref - cell) / ref (None when ref = 0).

The same items are asked in every language, so a gap is estimated by a **paired** bootstrap: item ids
shared by both cells are resampled with replacement and both cells' values of the same items are taken
(``method`` = "paired (n items)", the drop is over those n items). Only where the cells share fewer
than two items are they resampled independently (``method`` = "independent"). A sample's item is
``meta['item_id']`` when the task sets one, else its id without the cell's language tokens ("fr/12" ->
"12", "babeltext-0-0003-ja-en" -> "babeltext-0-0003"). Values are ordered by item id and every
generator is seeded from ``seed`` and the cells' names, so results do not depend on sample order.
"""

from __future__ import annotations

import math
import re
import zlib
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from babelvlm.errors import ConfigError
from babelvlm.schema import SampleScore

AXES = ("lang", "output_lang", "image_lang")
"""SampleScore attributes that can be a matrix axis."""

REFERENCES = ("diagonal", "en-en")
"""The two references every gap is measured against (see the module docstring)."""

FloatArray = NDArray[np.float64]
Cell = tuple[str, str]
ItemValues = dict[str, float]
"""Item id -> the cell's mean value on that item."""

_ID_SEPARATORS = re.compile(r"[-:/|]")


def item_id(sample: SampleScore, axes: tuple[str, str]) -> str:
    """The item a sample asks, the same in every cell: ``meta['item_id']``, else the sample id without
    the tokens that name the cell's languages."""
    explicit = sample.meta.get("item_id")
    if explicit is not None:
        return str(explicit)
    langs = {str(getattr(sample, axis)) for axis in axes} | {sample.lang}
    return "/".join(token for token in _ID_SEPARATORS.split(sample.sample_id) if token not in langs)


def _check_axes(axes: tuple[str, str]) -> None:
    for axis in axes:
        if axis not in AXES:
            raise ConfigError(f"matrix axis '{axis}' is not one of {', '.join(AXES)} (fix: use one of them)")


def cell_items(scored: Sequence[SampleScore], axes: tuple[str, str], metric: str) -> dict[Cell, ItemValues]:
    """Per (row, column) cell: item id -> mean defined value of ``metric`` (several samples of one item
    in one cell are averaged); failed samples, samples without an axis value and undefined (None) values
    are left out (they are counted elsewhere)."""
    _check_axes(axes)
    groups: dict[Cell, dict[str, list[float]]] = {}
    row_axis, col_axis = axes
    for s in scored:
        value = s.scores.get(metric)
        row, col = getattr(s, row_axis), getattr(s, col_axis)
        if s.failed or value is None or row is None or col is None:
            continue
        groups.setdefault((str(row), str(col)), {}).setdefault(item_id(s, axes), []).append(float(value))
    # fsum: exact, so an item's mean does not depend on the order of its samples either
    return {cell: {i: math.fsum(v) / len(v) for i, v in items.items()} for cell, items in groups.items()}


def cell_values(scored: Sequence[SampleScore], axes: tuple[str, str], metric: str) -> dict[Cell, FloatArray]:
    """Per cell: its defined values, one per item, ordered by item id (so order-free downstream)."""
    return {cell: _ordered(items) for cell, items in cell_items(scored, axes, metric).items()}


def _ordered(items: ItemValues, ids: Sequence[str] | None = None) -> FloatArray:
    return np.asarray([items[i] for i in (sorted(items) if ids is None else ids)], dtype=np.float64)


def _rng(seed: int, key: str) -> np.random.Generator:
    return np.random.default_rng([seed, zlib.crc32(key.encode("utf-8"))])


def _resampled_means(
    columns: Sequence[FloatArray], n_boot: int, rng: np.random.Generator
) -> list[FloatArray]:
    """``n_boot`` means of each of ``columns`` over the same resampled indices (one column: a plain
    bootstrap; two aligned columns: a paired one)."""
    n = len(columns[0])
    outs = [np.empty(n_boot, dtype=np.float64) for _ in columns]
    chunk = max(1, 4_000_000 // max(1, n))  # bound memory: at most ~4M indices at once
    for start in range(0, n_boot, chunk):
        stop = min(n_boot, start + chunk)
        idx = rng.integers(0, n, size=(stop - start, n))
        for out, column in zip(outs, columns, strict=True):
            out[start:stop] = column[idx].mean(axis=1)
    return outs


def paired_bootstrap_means(
    first: FloatArray, second: FloatArray, n_boot: int, seed: int, key: str
) -> tuple[FloatArray, FloatArray]:
    """``n_boot`` means of two aligned arrays (the same items, in the same order) over the same resampled
    items: the paired bootstrap; seeded by ``seed`` and ``key``."""
    if len(first) != len(second) or len(first) == 0:
        raise ConfigError(
            f"a paired bootstrap needs two equally long, non-empty arrays ({len(first)}, {len(second)})"
        )
    a, b = _resampled_means([first, second], n_boot, _rng(seed, key))
    return a, b


def bootstrap_means(values: FloatArray, n_boot: int, seed: int, key: str) -> FloatArray:
    """``n_boot`` means of resamples (with replacement) of ``values``; the generator is seeded by
    ``seed`` and ``key`` so each cell's stream is fixed whatever the order of work."""
    if len(values) == 0:
        return np.empty(0, dtype=np.float64)
    return _resampled_means([values], n_boot, _rng(seed, key))[0]


def percentile_ci(boot: FloatArray, confidence: float) -> list[float] | None:
    """The two-sided percentile interval of a bootstrap distribution (None when it is empty)."""
    if boot.size == 0:
        return None
    alpha = (1.0 - confidence) / 2.0
    lo, hi = np.quantile(boot, [alpha, 1.0 - alpha])
    return [float(lo), float(hi)]


def reference_cell(row: str, col: str, axes: tuple[str, str], cells: set[Cell]) -> Cell:
    """The task's own reference of (row, col): en-en for instruction x output matrices (when present),
    otherwise the same-language diagonal of the column (image-text / output) language."""
    if "output_lang" in axes and "image_lang" not in axes and ("en", "en") in cells:
        return ("en", "en")
    return (col, col)


def _reference_of(kind: str, col: str) -> Cell:
    return (col, col) if kind == "diagonal" else ("en", "en")


class _Bootstrap:
    """The settings and per-cell bootstraps shared by every gap of one table."""

    def __init__(self, items: dict[Cell, ItemValues], seed: int, n_boot: int, confidence: float) -> None:
        self.items, self.seed, self.n_boot, self.confidence = items, seed, n_boot, confidence
        self._cells: dict[Cell, FloatArray] = {}

    def cell(self, cell: Cell) -> FloatArray:
        """The cell's bootstrap means over its items (cached: a reference serves many gaps)."""
        if cell not in self._cells:
            self._cells[cell] = bootstrap_means(
                _ordered(self.items[cell]), self.n_boot, self.seed, "|".join(cell)
            )
        return self._cells[cell]

    def gap(self, ref: Cell, cell: Cell) -> dict[str, Any]:
        """Drop of ``cell`` to ``ref``: paired over their shared items, else independent."""
        shared = sorted(self.items[ref].keys() & self.items[cell].keys())
        if len(shared) >= 2:
            ref_values, cell_values_ = _ordered(self.items[ref], shared), _ordered(self.items[cell], shared)
            key = f"{'|'.join(ref)}>{'|'.join(cell)}"
            ref_boot, cell_boot = paired_bootstrap_means(
                ref_values, cell_values_, self.n_boot, self.seed, key
            )
            ref_mean, cell_mean = float(ref_values.mean()), float(cell_values_.mean())
            method = f"paired ({len(shared)} items)"
        else:
            ref_boot, cell_boot = self.cell(ref), self.cell(cell)
            ref_mean, cell_mean = (
                float(_ordered(self.items[ref]).mean()),
                float(_ordered(self.items[cell]).mean()),
            )
            method = "independent"
        entry = _gap_entry(ref, ref_boot, ref_mean, cell_boot, cell_mean, self.confidence)
        unpaired = len(self.items[ref].keys() ^ self.items[cell].keys()) if shared else 0
        return entry | {
            "method": method,
            "n": len(self.items[cell]),
            "n_reference": len(self.items[ref]),
            "n_unpaired": unpaired if len(shared) >= 2 else 0,
        }


def _gap_entry(
    ref_key: Cell,
    ref_boot: FloatArray,
    ref_mean: float,
    cell_boot: FloatArray,
    cell_mean: float,
    confidence: float,
) -> dict[str, Any]:
    """Absolute and relative drop of a cell to its reference, with bootstrap CIs."""
    diff = ref_boot - cell_boot
    ci = percentile_ci(diff, confidence)
    rel: float | None = None
    rel_ci: list[float] | None = None
    if ref_mean != 0.0:
        rel = (ref_mean - cell_mean) / ref_mean
        with np.errstate(divide="ignore", invalid="ignore"):
            rel_boot = diff / ref_boot
        rel_ci = percentile_ci(rel_boot[np.isfinite(rel_boot)], confidence)
    significant = ci is not None and not (ci[0] <= 0.0 <= ci[1])
    return {
        "reference": list(ref_key),
        "abs": ref_mean - cell_mean,
        "abs_ci": ci,
        "rel": rel,
        "rel_ci": rel_ci,
        "significant": bool(significant),
    }


def gap_tables(
    scored: list[SampleScore],
    axes: tuple[str, str],
    metric: str,
    seed: int = 0,
    n_boot: int = 1000,
    confidence: float = 0.95,
) -> dict[str, Any]:
    """Cell means, drops to the reference cells and seeded (paired where possible) bootstrap CIs.

    Returns ``{"metric", "axes", "seed", "n_boot", "confidence", "cells": {row: {col: {"mean", "n",
    "ci"}}}, "gaps": {row: {col: entry}}, "gaps_by_reference": {"diagonal" | "en-en": {row: {col:
    entry}}}}`` with entry = ``{"reference", "abs", "abs_ci", "rel", "rel_ci", "significant", "method",
    "n", "n_reference", "n_unpaired"}``; reference cells have no gap to themselves. JSON-ready and
    reproducible for a given seed, whatever the order of ``scored``.
    """
    if n_boot < 10:
        raise ConfigError(f"n_boot={n_boot} is too small for a bootstrap interval (fix: use >= 10)")
    if not 0.0 < confidence < 1.0:
        raise ConfigError(f"confidence={confidence} must lie in (0, 1) (fix: e.g. 0.95)")
    items = cell_items(scored, axes, metric)
    boot = _Bootstrap(items, seed, n_boot, confidence)
    cells: dict[str, dict[str, Any]] = {}
    by_reference: dict[str, dict[str, dict[str, Any]]] = {kind: {} for kind in REFERENCES}
    own: dict[str, dict[str, Any]] = {}
    for row, col in sorted(items):
        values = _ordered(items[(row, col)])
        cells.setdefault(row, {})[col] = {
            "mean": float(values.mean()),
            "n": len(values),
            "ci": percentile_ci(boot.cell((row, col)), confidence),
        }
        for kind in REFERENCES:
            ref = _reference_of(kind, col)
            if ref != (row, col) and ref in items:
                by_reference[kind].setdefault(row, {})[col] = boot.gap(ref, (row, col))
        ref = reference_cell(row, col, axes, set(items))
        if ref != (row, col) and ref in items:
            kind = "en-en" if ref == ("en", "en") and ref != (col, col) else "diagonal"
            own.setdefault(row, {})[col] = by_reference[kind][row][col]
    return {
        "metric": metric,
        "axes": list(axes),
        "seed": seed,
        "n_boot": n_boot,
        "confidence": confidence,
        "cells": cells,
        "gaps": own,
        "gaps_by_reference": by_reference,
    }
