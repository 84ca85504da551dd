"""The report answers "what is it bad at, and why?": score by each matrix axis with n, every breakdown
the task produced, the worst examples with their evidence, and labels a newcomer can read. Built from a
real BabelText run (generated data, a constant-answer backend that reports OCR text) and rendered in
headless Chromium."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from test_report_browser import CHROMIUM, _render

from babelvlm.engine.runner import EvalConfig, run_eval
from babelvlm.models.mock import MockModel
from babelvlm.report.breakdowns import axis_marginals, find_breakdowns, worst_examples
from babelvlm.report.rundata import load_samples
from babelvlm.schema import Output, Request


class LatinOnlyOcr(MockModel):
    """Like the demo's OCR pipeline: right whenever the image text is English, "42" when it is Russian
    (Cyrillic it cannot read), whatever the question language; reports the OCR text with each answer."""

    def __init__(self) -> None:
        super().__init__("answer")

    def generate(self, requests: list[Request]) -> list[Output]:
        outputs = super().generate(requests)
        for req, out in zip(requests, outputs, strict=True):
            cyrillic = req.sample_id.split("-")[-2] == "ru"  # babeltext-<seed>-<scene>-<image lang>-<q lang>
            out.text = "42" if cyrillic else out.text
            out.meta = {"ocr_text": "27,95 py6." if cyrillic else "27.95 USD", "llm_s": 0.01}
        return outputs


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("bt") / "run"
    config = EvalConfig(
        model="mock:answer",
        tasks=["babeltext"],
        langs=["en", "ru"],
        task_options={"scenes": "4"},
        data=out.parent / "data",
        out=out,
        progress=False,
    )
    run_eval(config, model=LatinOnlyOcr())
    return out


def test_marginals_breakdowns_and_worst_examples_are_in_the_page(run_dir: Path) -> None:
    page = (run_dir / "report.html").read_text(encoding="utf-8")
    assert "<h3>Score by each axis</h3>" in page and 'id="fig-babeltext-by-image-lang"' in page
    for label in ("difficulty", "answer type", "kind"):
        assert f"<h3>By {label}</h3>" in page and f'id="fig-babeltext-by-{label.replace(" ", "-")}"' in page
    assert 'id="worst-babeltext"' in page and "27,95 py6." in page and "<b>OCR text</b>" in page
    results = json.loads((run_dir / "results.json").read_text())
    assert "write_report" not in results["config"] and "progress" not in results["config"]
    assert "metric n/a" in page and "n/a (not a free-text task)" in page and "undefined" not in page
    assert not re.search(r"seed 00\d|SPEC \d", page)


def test_marginals_count_each_axis_on_its_own(run_dir: Path) -> None:
    samples = load_samples(run_dir / "samples.jsonl")["babeltext"]
    marginals = axis_marginals(samples, ["lang", "image_lang"], "accuracy")
    assert {k: v[0] for k, v in marginals["image_lang"].items()} == {"en": 1.0, "ru": 0.0}  # the gap
    assert {k: v[0] for k, v in marginals["lang"].items()} == {"en": 0.5, "ru": 0.5}  # flat
    for axis in marginals.values():
        assert sum(n for _, n in axis.values()) == len(samples) == 16
    worst = worst_examples(samples, "accuracy", k=4)
    assert len(worst) == 4 and all(s.evidence["ocr_text"] == "27,95 py6." for s in worst)
    assert {(s.lang, s.image_lang) for s in worst} == {("en", "ru"), ("ru", "ru")}  # the weakest cells


def test_breakdowns_found_at_top_level_and_one_level_down() -> None:
    extra = {
        "by_kind": {"chart": {"accuracy": 0.0, "n": 16.0}, "sign": {"accuracy": 0.9, "n": 10.0}},
        "pope": {"by_category": {"en": {"random": {"f1": 0.8}}, "de": {"random": {"f1": 0.6}}}},
        "heron": {"categories": {"conv": {"relative": 75.0}}, "overall": 70.0},
        "gap_to_en": {"by_language": {"fr": {"gap": 0.1}}},
        "by_nothing": {"x": "text only"},
    }
    found = dict(find_breakdowns(extra))
    assert set(found) == {"kind", "pope category", "heron categories"}
    assert found["pope category"] == {
        "English (en) · random": {"f1": 0.8},
        "German (de) · random": {"f1": 0.6},
    }


@pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium is not installed")
def test_breakdowns_render_in_chromium(run_dir: Path, tmp_path: Path) -> None:
    attrs, console, pixels = _render(run_dir / "report.html", tmp_path)
    assert console == []
    assert (
        attrs["figures"] >= 6 and attrs["figures-ok"] == attrs["figures"]
    )  # axis + 3 breakdowns + matrix...
    assert pixels.std() > 5
