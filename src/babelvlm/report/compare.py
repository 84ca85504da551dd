"""Several runs side by side (e.g. before / after training): ``babelvlm report D1 D2 ...``.

The first run is the baseline. For every task present in a run: the headline metric per run and its
change to the baseline (also over the items both runs scored), what the runs do not share (languages,
items, sample counts), per-language bars for all runs, per-language changes with seeded bootstrap 95 %
intervals, and the change of the language matrix between the last run and the baseline.

Runs of one benchmark ask the same items (same sample ids), so a change is measured on the items both
runs scored, by a paired bootstrap over those items ("paired (n items)"). Where two runs share no item
the change is still shown, resampled independently, but never called significant: a difference
between different item sets is not a difference of the model alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from babelvlm.analysis.gaps import bootstrap_means, paired_bootstrap_means, percentile_ci
from babelvlm.atomic import write_text_atomic
from babelvlm.errors import ConfigError
from babelvlm.report import figures
from babelvlm.report.page import esc, figure, page, slug, table
from babelvlm.report.rundata import RunData, load_run
from babelvlm.report.task_section import axis_title, metric_matrix, primary
from babelvlm.schema import SampleScore

N_BOOT = 1000
CONFIDENCE = 0.95


def run_labels(runs: Sequence[RunData]) -> list[str]:
    """Short unique labels: the directory names (numbered when two are equal)."""
    names = [r.path.name or str(r.path) for r in runs]
    return [f"{i + 1}:{n}" if names.count(n) > 1 else n for i, n in enumerate(names)]


def _lang_items(samples: list[SampleScore], metric: str) -> dict[str, dict[str, float]]:
    """Language -> sample id -> defined value of ``metric`` (failed and undefined samples left out)."""
    groups: dict[str, dict[str, float]] = {}
    for s in samples:
        v = None if s.failed else s.scores.get(metric)
        if v is not None:
            groups.setdefault(s.lang, {})[s.sample_id] = float(v)
    return groups


def paired_change(
    base: dict[str, float], run: dict[str, float], key: str, seed: int = 0
) -> dict[str, object]:
    """Change run - base over the items both scored (paired bootstrap CI), else over all items of each
    (independent bootstrap, ``significant`` None: not a like-for-like comparison)."""
    shared = sorted(base.keys() & run.keys())
    if shared:
        a = np.asarray([base[i] for i in shared], dtype=np.float64)
        b = np.asarray([run[i] for i in shared], dtype=np.float64)
        boot_a, boot_b = paired_bootstrap_means(a, b, N_BOOT, seed, key)
        method = f"paired ({len(shared)} items)"
    else:
        a, b = np.asarray(sorted(base.values())), np.asarray(sorted(run.values()))
        boot_a, boot_b = (
            bootstrap_means(a, N_BOOT, seed, f"base|{key}"),
            bootstrap_means(b, N_BOOT, seed, key),
        )
        method = "independent (no shared items)"
    ci = percentile_ci(boot_b - boot_a, CONFIDENCE)
    significant = None if not shared or ci is None else not ci[0] <= 0.0 <= ci[1]
    return {
        "base": float(a.mean()), "run": float(b.mean()), "delta": float(b.mean() - a.mean()), "ci": ci,
        "significant": significant, "method": method, "n_shared": len(shared),
        "n_base_only": len(base.keys() - run.keys()), "n_run_only": len(run.keys() - base.keys()),
    }  # fmt: skip


def delta_rows(runs: Sequence[RunData], labels: Sequence[str], task: str, metric: str) -> list[list[object]]:
    """Per run (after the baseline) and language: baseline and run means over the compared items, Δ,
    its bootstrap CI, significance (only for paired comparisons) and the method."""
    base = _lang_items(runs[0].samples.get(task, []), metric)
    rows: list[list[object]] = []
    for k, run in enumerate(runs[1:], start=1):
        values = _lang_items(run.samples.get(task, []), metric)
        for lang in sorted(set(base) & set(values)):
            change = paired_change(base[lang], values[lang], f"{task}|{lang}|{k}")
            ci = change["ci"]
            sig = change["significant"]
            rows.append([
                labels[k], figures.lang_label(lang), change["base"], change["run"], change["delta"],
                f"[{ci[0]:+.3f}, {ci[1]:+.3f}]" if isinstance(ci, list) else "–",
                "–" if sig is None else "yes" if sig else "no", change["method"],
            ])  # fmt: skip
    return rows


def coverage_rows(runs: Sequence[RunData], labels: Sequence[str], task: str) -> list[list[object]]:
    """What each run does not share with the first: languages, items, sample counts."""
    base = runs[0].samples.get(task, [])
    base_ids, base_langs = {s.sample_id for s in base}, {s.lang for s in base}
    rows: list[list[object]] = []
    for label, run in zip(labels[1:], runs[1:], strict=True):
        samples = run.samples.get(task, [])
        ids, langs = {s.sample_id for s in samples}, {s.lang for s in samples}
        rows.append([
            label, ", ".join(sorted(base_langs - langs)) or "–", ", ".join(sorted(langs - base_langs)) or "–",
            len(base), len(samples), len(ids & base_ids), len(base_ids - ids), len(ids - base_ids),
        ])  # fmt: skip
    return rows


def _headline(runs: Sequence[RunData], labels: Sequence[str], tasks: Sequence[str]) -> str:
    """Headline metric per run and task, its change to the first run, and the change over the items
    both runs scored (the like-for-like number when the runs' samples differ)."""
    rows: list[list[object]] = []
    for task in tasks:
        base_res = runs[0].result.tasks.get(task)
        metric = primary(base_res) if base_res else ""
        base_items = _all_items(runs[0].samples.get(task, []), metric)
        for label, run in zip(labels, runs, strict=True):
            res = run.result.tasks.get(task)
            if res is None:
                continue
            metric = metric or primary(res)
            value = res.scores.get(metric)
            base = base_res.scores.get(metric) if base_res else None
            delta = None if value is None or base is None else value - base
            items = _all_items(run.samples.get(task, []), metric)
            comparable = run is not runs[0] and base_items and items
            shared = paired_change(base_items, items, f"{task}|all|{label}") if comparable else None
            rows.append([
                task, label, run.result.model, metric, value, delta,
                None if shared is None or not shared["n_shared"] else shared["delta"],
                len(items.keys() & base_items.keys()), res.n_samples, res.n_failed,
            ])  # fmt: skip
    head = ["task", "run", "model", "metric", "score", "Δ vs first run", "Δ on shared items", "shared items"]
    return table([*head, "samples", "failed"], rows, left=4)


def _all_items(samples: list[SampleScore], metric: str) -> dict[str, float]:
    return {i: v for items in _lang_items(samples, metric).values() for i, v in items.items()}


def _task_section(runs: Sequence[RunData], labels: Sequence[str], task: str) -> str:
    present = [(lab, r) for lab, r in zip(labels, runs, strict=True) if task in r.result.tasks]
    metric = primary(present[0][1].result.tasks[task])
    parts = [f'<section class="task" id="task-{slug(task)}"><h2>{esc(task)} ({esc(metric)})</h2>']
    series = {
        lab: {lang: v.get(metric) for lang, v in r.result.tasks[task].by_language.items()}
        for lab, r in present
    }
    if any(v is not None for s in series.values() for v in s.values()):
        svg = figures.bars(series, f"{task}: {metric} by question language, per run", metric)
        parts.append(figure(f"fig-{slug(task)}-runs", svg, "Per-language score of every run."))
    first, last = present[0], present[-1]
    if len(present) > 1 and first[1].result.tasks[task].matrix and last[1].result.tasks[task].matrix:
        a = metric_matrix(first[1].result.tasks[task], metric)
        b = metric_matrix(last[1].result.tasks[task], metric)
        diff = {
            r: {
                c: (
                    None
                    if b[r].get(c) is None or a.get(r, {}).get(c) is None
                    else float(b[r][c] or 0.0) - float(a[r][c] or 0.0)
                )
                for c in b[r]
            }
            for r in b
        }
        axes = list(first[1].result.tasks[task].matrix_axes) or ["lang", "image_lang"]
        svg = figures.heatmap(
            diff,
            f"{task}: {last[0]} minus {first[0]}",
            axis_title(axes[0]),
            axis_title(axes[-1]),
            diverging=True,
            value_format="{:+.2f}",
        )
        parts.append(
            figure(
                f"fig-{slug(task)}-matrix-delta",
                svg,
                f"Change of every language cell from the first run to the last ({metric}).",
            )
        )
    rows = delta_rows([r for _, r in present], [lab for lab, _ in present], task, metric)
    coverage = coverage_rows([r for _, r in present], [lab for lab, _ in present], task)
    if coverage:
        parts.append(f"<h3>What the runs do not share with {esc(present[0][0])}</h3>")
        head = ["run", "languages only in first", "languages only here", "samples (first)", "samples (here)"]
        parts.append(
            table([*head, "shared items", "items only in first", "items only here"], coverage, left=3)
        )
    if rows:
        parts.append(
            f"<h3>Per-language change vs {esc(present[0][0])} on shared items "
            f"(bootstrap {int(CONFIDENCE * 100)}% CI)</h3>"
        )
        head = ["run", "language", "first run", "this run", "Δ", "CI", "significant", "bootstrap"]
        parts.append(table(head, rows, left=2))
    parts.append("</section>")
    return "\n".join(parts)


def render_comparison(runs: Sequence[RunData]) -> str:
    """The comparison page's HTML for loaded runs (the first is the baseline)."""
    labels = run_labels(runs)
    tasks: list[str] = []
    for run in runs:
        tasks.extend(t for t in run.result.tasks if t not in tasks)
    body = [
        f"<h1>BabelVLM comparison — {len(runs)} runs</h1>",
        table(
            ["run", "directory", "model", "created"],
            [
                [lab, str(r.path), r.result.model, r.result.created]
                for lab, r in zip(labels, runs, strict=True)
            ],
            left=4,
        ),
        "<h2>Headline</h2>",
        _headline(runs, labels, tasks),
    ]
    body.extend(_task_section(runs, labels, task) for task in tasks)
    return page(f"BabelVLM comparison of {len(runs)} runs", "\n".join(body))


def write_comparison(run_dirs: list[Path], out: Path) -> Path:
    """Compare the runs in ``run_dirs`` (first = baseline) and write the page to ``out`` (a ``.html``
    file, or a directory that receives ``compare.html``); returns the written path."""
    if len(run_dirs) < 2:
        raise ConfigError("a comparison needs at least two run directories (fix: babelvlm report D1 D2 ...)")
    runs = [load_run(Path(d)) for d in run_dirs]
    path = Path(out)
    if path.suffix.lower() != ".html":
        path = path / "compare.html"
    return write_text_atomic(path, render_comparison(runs))
