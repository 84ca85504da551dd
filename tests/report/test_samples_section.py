"""The report's sample browser: examples per cell with thumbnail, question, prediction, extracted answer,
reference, score and failure reason; filters in headless Chromium; BabelText's difficulty breakdown; the
thumbnail size cap; the demo-size report stays under 5 MB."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from babelvlm.demo import run_demo
from babelvlm.engine.runner import EvalConfig, run_eval
from babelvlm.models.registry import load_model
from babelvlm.report import samples_data
from babelvlm.report.html import write_report

CHROMIUM = next(
    (shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)), None
)


def _mmbench_run(tmp_path: Path) -> Path:
    """MMBench en + zh (circular) answered 'A' by a mock model that fails a quarter of the requests."""
    import sys

    sys.path.insert(0, str(Path(__file__).parents[1] / "tasks"))
    from tsv_fixtures import MCQ_HEADER, mcq_rows, write_tsv

    data = tmp_path / "mmbench"
    write_tsv(data / "MMBench_DEV_EN.tsv", MCQ_HEADER, mcq_rows("en", 3, circular=True, answers="ABC"))
    write_tsv(data / "mmbench_dev_cn.tsv", MCQ_HEADER, mcq_rows("zh", 3, circular=True, answers="DCB"))
    out = tmp_path / "run"
    config = EvalConfig(
        model="mock:constant", model_options={"text": "The answer is A.", "fail_rate": "0.25"},
        tasks=["mmbench"], data=data, out=out, progress=False, write_report=False,
    )  # fmt: skip
    run_eval(config)
    write_report(out)
    return out


def _examples(html: str) -> list[tuple[str, str, str]]:
    return re.findall(r'<div class="ex (\w+)" data-cell="([^"]*)" data-status="\w+" data-lang="(\w+)"', html)


def test_examples_carry_every_field(tmp_path: Path) -> None:
    html = (_mmbench_run(tmp_path) / "report.html").read_text(encoding="utf-8")
    examples = _examples(html)
    assert len(examples) == 12  # two cells (en, zh) of 12 rows each: 6 shown per cell
    assert {s for s, _, _ in examples} == {"right", "wrong", "failed"}
    assert {c for _, c, _ in examples} == {"en", "zh"} and {lang for *_, lang in examples} == {"en", "zh"}
    assert html.count('<img src="data:image/jpeg;base64,') == 12
    assert "<dt>extracted</dt><dd>A</dd>" in html and "<dt>failure</dt><dd>" in html
    assert "<dt>reference</dt><dd>B</dd>" in html and "What colour is the square?" in html


def test_choose_takes_failed_wrong_and_right_first_per_cell() -> None:
    from babelvlm.schema import SampleScore

    samples = [
        SampleScore(sample_id=f"en/{i}", task="t", lang="en", prediction="x", image_lang="en",
                    scores={"accuracy": 1.0 if i < 8 else 0.0}, error="timeout" if i == 9 else None)
        for i in range(10)
    ]  # fmt: skip
    chosen = samples_data.choose(samples, ("lang", "image_lang"), "accuracy")
    assert [status for _, status in chosen] == ["failed", "wrong", "right", "right", "right", "right"]
    assert samples_data.cell_of(samples[0], ("lang", "image_lang")) == "en→en"


def test_thumbnail_budget_is_a_cap_with_a_note(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run = _mmbench_run(tmp_path)
    monkeypatch.setattr(samples_data, "THUMB_BUDGET", 3000)
    html = write_report(run).read_text(encoding="utf-8")
    shown = html.count('<img src="data:image/jpeg;base64,')
    assert 0 < shown < 12 and f"{12 - shown} thumbnail(s) left out" in html


def test_demo_size_report_has_the_difficulty_breakdown_and_stays_small(tmp_path: Path) -> None:
    model = load_model("mock:answer", {"fail_rate": "0.3"})
    out = tmp_path / "demo"
    run_demo(out, model=model)
    report = out / "report.html"
    html = report.read_text(encoding="utf-8")
    assert report.stat().st_size < 5 * 1024 * 1024
    assert "babeltext: difficulty breakdown" in html and 'id="fig-babeltext-difficulty"' in html
    table = html[html.index("difficulty breakdown") :]
    assert all(f'<td class="l">{level}</td>' in table[:3000] for level in ("easy", "medium", "hard"))
    assert html.count('<img src="data:image/jpeg;base64,') > 50


@pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium is not installed (apt-get install chromium)")
def test_filters_in_headless_chromium(tmp_path: Path) -> None:
    """A test script appended to the page clicks the 'wrong' button and picks a language, as a user would;
    the page's own filter script then reports how many examples are visible."""
    run = _mmbench_run(tmp_path)
    html = (run / "report.html").read_text(encoding="utf-8")
    examples = _examples(html)
    clicker = """<script>
    document.addEventListener("DOMContentLoaded", function () {
      var root = document.getElementById("samples-mmbench");
      root.querySelector('button[data-value="wrong"]').click();
      document.body.setAttribute("data-after-click", root.getAttribute("data-visible"));
      var sel = root.querySelector('select[data-filter="lang"]');
      sel.value = "zh"; sel.dispatchEvent(new Event("change"));
      var shown = Array.from(root.querySelectorAll(".ex")).filter(function (e) {
        return e.offsetParent !== null;
      });
      document.body.setAttribute("data-after-lang", String(shown.length));
    });</script></body>"""
    page = tmp_path / "clicked.html"
    page.write_text(html.replace("</body>", clicker), encoding="utf-8")
    assert CHROMIUM is not None
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr", "--v=0"]
    dom = subprocess.run([CHROMIUM, *flags, "--dump-dom", page.as_uri()], capture_output=True, timeout=120)
    body = re.search(r"<body([^>]*)>", dom.stdout.decode("utf-8", "replace"))
    assert body is not None
    attrs = dict(re.findall(r'data-([\w-]+)="(\d+)"', body.group(1)))
    console = [line for line in dom.stderr.decode("utf-8", "replace").splitlines() if ":CONSOLE" in line]
    assert console == []
    assert int(attrs["after-click"]) == sum(s == "wrong" for s, _, _ in examples) > 0
    assert int(attrs["after-lang"]) == sum(s == "wrong" and lang == "zh" for s, _, lang in examples) > 0
    assert attrs["figures"] == attrs["figures-ok"]
