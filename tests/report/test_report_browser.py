"""The report renders in headless Chromium: no console messages (errors), a non-blank screenshot and
every figure present with a rendered SVG of non-zero size (checked by the page's own script)."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from synthetic_run import write_synthetic_mi, write_synthetic_run

from babelvlm.report.compare import write_comparison
from babelvlm.report.html import write_report

CHROMIUM = next(
    (shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)), None
)
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="headless Chromium is not installed (apt-get install chromium) - report not rendered",
)
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--enable-logging=stderr",
    "--v=0",
    "--window-size=1280,2400",
]


def _chromium(*args: str) -> subprocess.CompletedProcess[bytes]:
    assert CHROMIUM is not None
    return subprocess.run([CHROMIUM, *FLAGS, *args], capture_output=True, timeout=120, check=False)


def _render(page: Path, tmp_path: Path) -> tuple[dict[str, int], list[str], np.ndarray]:
    dom = _chromium("--dump-dom", page.as_uri())
    body = re.search(r"<body([^>]*)>", dom.stdout.decode("utf-8", "replace"))
    assert body is not None, dom.stderr.decode("utf-8", "replace")[-2000:]
    attrs = {k: int(v) for k, v in re.findall(r'data-(figures(?:-ok)?)="(\d+)"', body.group(1))}
    console = [line for line in dom.stderr.decode("utf-8", "replace").splitlines() if ":CONSOLE" in line]
    shot = tmp_path / "shot.png"
    _chromium(f"--screenshot={shot}", page.as_uri())
    pixels = np.asarray(Image.open(io.BytesIO(shot.read_bytes())).convert("L"), dtype=np.float64)
    return attrs, console, pixels


def test_run_report_renders_without_errors(tmp_path: Path) -> None:
    run = write_synthetic_run(tmp_path / "run", n=200)
    write_synthetic_mi(run)
    attrs, console, pixels = _render(write_report(run), tmp_path)
    assert console == []
    assert attrs == {"figures": 7, "figures-ok": 7}  # 5 task figures + 2 MI figures, all drawn
    assert pixels.std() > 20 and (pixels < 128).mean() > 0.01  # not a blank page


def test_comparison_renders_without_errors(tmp_path: Path) -> None:
    runs = [write_synthetic_run(tmp_path / f"r{k}", n=100, seed=k, shift=0.1 * k) for k in range(3)]
    attrs, console, pixels = _render(write_comparison(runs, tmp_path / "cmp.html"), tmp_path)
    assert console == []
    assert attrs == {"figures": 2, "figures-ok": 2}
    assert pixels.std() > 20
