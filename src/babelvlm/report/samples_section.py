"""The report's sample browser: per task, examples per matrix cell (thumbnail, question, prediction,
extracted answer, reference, score, failure reason) with filters by cell, by right / wrong / failed and by
language; and BabelText's breakdown by difficulty (easy / medium / hard) as a table and a figure.

Everything stays inline (thumbnails are small JPEG data URIs under a report-wide byte budget, with a note
when the budget leaves some out). The filter script keeps ``data-visible`` on each browser up to date.
"""

from __future__ import annotations

from pathlib import Path

from babelvlm.report import figures
from babelvlm.report.page import esc, figure, fmt, slug, table
from babelvlm.report.samples_data import Example, ThumbnailBudget, build_examples
from babelvlm.schema import RunResult, SampleScore

CSS = """
.bvlm-samples .ctl{margin:.4rem 0;font-size:.85rem}.bvlm-samples .ctl button{margin-right:.3rem}
.bvlm-samples .ctl button.on{font-weight:bold;background:#dde8ff}
.ex{display:flex;gap:.8rem;border:1px solid #ddd;border-left:4px solid #999;margin:.3rem 0;padding:.4rem;
font-size:.82rem}.ex.right{border-left-color:#2e7d32}.ex.wrong{border-left-color:#e0a800}
.ex.failed{border-left-color:#b00020}.ex img{max-width:128px;max-height:128px;flex:none}
.ex .q{white-space:pre-wrap;margin:0 0 .2rem}
.ex dl{display:grid;grid-template-columns:auto 1fr;gap:0 .6rem;margin:0}
.ex dt{color:#555}.ex dd{margin:0;white-space:pre-wrap}
"""

SCRIPT = """
if (!window.bvlmSamples) { window.bvlmSamples = function (id) {
  var root = document.getElementById(id), state = {cell: "", status: "", lang: ""};
  function apply() {
    var shown = 0;
    root.querySelectorAll(".ex").forEach(function (ex) {
      var ok = ["cell", "status", "lang"].every(function (k) {
        return !state[k] || ex.dataset[k] === state[k];
      });
      ex.style.display = ok ? "" : "none"; if (ok) { shown += 1; }
    });
    root.setAttribute("data-visible", String(shown));
    root.querySelector(".count").textContent = String(shown);
  }
  root.querySelectorAll("select").forEach(function (sel) {
    sel.addEventListener("change", function () { state[sel.dataset.filter] = sel.value; apply(); });
  });
  root.querySelectorAll("button[data-filter]").forEach(function (btn) {
    btn.addEventListener("click", function () {
      state[btn.dataset.filter] = btn.dataset.value;
      root.querySelectorAll("button[data-filter]").forEach(function (b) {
        b.classList.toggle("on", b === btn);
      });
      apply();
    });
  });
  apply();
}; }
"""


def _select(name: str, label: str, values: list[str]) -> str:
    options = "".join(f'<option value="{esc(v)}">{esc(v)}</option>' for v in values)
    return (
        f'<label>{esc(label)} <select data-filter="{name}"><option value="">all</option>'
        f"{options}</select></label>"
    )


def _controls(examples: list[Example]) -> str:
    cells = sorted({e.cell for e in examples})
    langs = figures.lang_order({e.lang for e in examples})
    buttons = "".join(
        f'<button type="button" data-filter="status" data-value="{v}"{" class=on" if not v else ""}>'
        f"{label}</button>"
        for v, label in (("", "all"), ("right", "right"), ("wrong", "wrong"), ("failed", "failed"))
    )
    return (
        f'<div class="ctl">{buttons} {_select("cell", "cell", cells)} {_select("lang", "language", langs)} '
        f'shown: <span class="count">{len(examples)}</span> of {len(examples)}</div>'
    )


def _example(e: Example) -> str:
    image = f'<img src="{e.thumbnail}" alt="">' if e.thumbnail else ""
    rows = [
        ("prediction", e.prediction if e.prediction is not None else "—"),
        ("extracted", e.extracted if e.extracted is not None else "—"),
        ("reference", " | ".join(e.references) or "—"),
        ("score", fmt(e.score)),
    ]
    if e.error:
        rows.append(("failure", e.error))
    fields = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in rows)
    return (
        f'<div class="ex {e.status}" data-cell="{esc(e.cell)}" data-status="{e.status}" '
        f'data-lang="{esc(e.lang)}">{image}<div><p class="q">{esc(e.prompt[:600])}</p>'
        f'<p class="note">{esc(e.sample_id)} · cell {esc(e.cell)} · {e.status}</p>'
        f"<dl>{fields}</dl></div></div>"
    )


def difficulty_section(task: str, samples: list[SampleScore]) -> str:
    """Accuracy by difficulty (easy / medium / hard), overall and per question language, as a table and
    a grouped bar figure (BabelText and any task whose samples carry a ``difficulty``)."""
    graded = [s for s in samples if s.meta.get("difficulty") and not s.failed]
    if not graded:
        return ""
    levels = [d for d in ("easy", "medium", "hard") if any(s.meta["difficulty"] == d for s in graded)]
    langs = figures.lang_order({s.lang for s in graded})
    series: dict[str, dict[str, float | None]] = {}
    rows: list[list[object]] = []
    for level in levels:
        group = [s for s in graded if s.meta["difficulty"] == level]
        per_lang = {lang: _mean([s for s in group if s.lang == lang]) for lang in langs}
        series[level] = per_lang
        rows.append([level, len(group), _mean(group), *per_lang.values()])
    svg = figures.bars(series, f"{task}: accuracy by difficulty and question language", "accuracy")
    caption = "Accuracy per difficulty (easy: one number on a sign; medium: distractors, units, rows; hard: "
    caption += "comparisons, totals, dates); failed samples excluded."
    return (
        f"<h3>{esc(task)}: difficulty breakdown</h3>"
        + table(["difficulty", "samples", "accuracy", *langs], rows, left=1)
        + figure(f"fig-{slug(task)}-difficulty", svg, caption)
    )


def _mean(group: list[SampleScore]) -> float | None:
    values = [v for s in group if (v := s.scores.get("accuracy")) is not None]
    return sum(values) / len(values) if values else None


def samples_section(
    run_dir: Path, result: RunResult, task: str, samples: list[SampleScore], budget: ThumbnailBudget
) -> str:
    """The browser (and difficulty breakdown) of one task; empty when the run has no scored samples."""
    if not samples:
        return ""
    examples, problem = build_examples(run_dir, result, task, samples, budget)
    section_id = f"samples-{slug(task)}"
    notes = [f"{len(examples)} of {len(samples)} samples, chosen per cell: failed, wrong and right first."]
    if problem:
        notes.append(f"No thumbnails: the run's data could not be re-read ({problem}).")
    if budget.dropped:
        notes.append(
            f"{budget.dropped} thumbnail(s) left out to keep the report small (size cap of the page)."
        )
    body = "".join(_example(e) for e in examples)
    return (
        f"<style>{CSS}</style>{difficulty_section(task, samples)}"
        f'<h3>{esc(task)}: examples</h3><div class="bvlm-samples" id="{section_id}">'
        f'<p class="note">{esc(" ".join(notes))}</p>{_controls(examples)}{body}</div>'
        f'<script>{SCRIPT}\nwindow.bvlmSamples("{section_id}");</script>'
    )
