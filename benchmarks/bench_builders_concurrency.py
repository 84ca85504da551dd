"""Builders' model calls through the engine: concurrency 32 vs 1 against a slow fake server.

``babelvlm translate`` (an MMBench TSV: every distinct text translated and back-translated) and ``babelvlm
build xpaperqa`` (PDF pages -> QA generation prompts) are run against the fake OpenAI-compatible server
(tests/models/fake_openai_server.py, 50 ms per request, in its own process), once with ``-M
concurrency=1`` and once with ``-M concurrency=32``, each into a fresh folder. Printed per builder: model
calls per second inside the builder's calls to the engine (``StoredModel.ask``: batching, the run store and
the backend's concurrency) and their ratio (target: >= 15x), and the whole run's wall time (which adds the
fixed work that concurrency does not change: PDF rendering, language ID, eq. 1 embeddings, files).

    .venv/bin/python benchmarks/bench_builders_concurrency.py [--texts1 12] [--texts32 600]
        [--pages1 4] [--pages32 200]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from bench_openai import start_server

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests" / "tasks"), str(ROOT / "tests" / "builders")]

from paper_pdfs import EN_TEXT, write_pdf  # noqa: E402
from tiny_translation_encoder import build_tiny_encoder  # noqa: E402
from tsv_fixtures import MCQ_HEADER, write_tsv  # noqa: E402

from babelvlm.builders.generation import StoredModel  # noqa: E402
from babelvlm.builders.run import RunOptions  # noqa: E402
from babelvlm.builders.translate import TranslateConfig, run_translate  # noqa: E402
from babelvlm.builders.xpaperqa import XPaperQAConfig, build_xpaperqa  # noqa: E402


class AskTimer:
    """Accumulates the time spent in ``StoredModel.ask`` and the number of prompts it was given."""

    def __init__(self) -> None:
        self.seconds, self.calls = 0.0, 0
        self._ask = StoredModel.ask

    def install(self) -> None:
        timer, original = self, self._ask

        def timed(model: StoredModel, asks: list) -> list:  # type: ignore[type-arg]
            started = time.perf_counter()
            try:
                return original(model, asks)
            finally:
                timer.seconds += time.perf_counter() - started
                timer.calls += len(asks)

        StoredModel.ask = timed  # type: ignore[method-assign]

    def reset(self) -> None:
        self.seconds, self.calls = 0.0, 0


TIMER = AskTimer()


def mmbench_tsv(folder: Path, n_texts: int) -> Path:
    """An MMBench TSV whose questions and options give ``n_texts`` distinct texts (6 per row)."""
    rows = [
        {"index": i, "question": f"Question number {i}?", "hint": f"Hint {i}.", "A": f"a{i}", "B": f"b{i}",
         "C": f"c{i}", "D": f"d{i}", "answer": "A", "image": "iVBORw0KGgo="}
        for i in range(max(1, n_texts // 6))
    ]  # fmt: skip
    return write_tsv(folder / "MMBench_DEV_EN.tsv", MCQ_HEADER, rows)


def translate_rate(
    base_url: str, concurrency: int, n_texts: int, encoder: Path, work: Path
) -> tuple[float, float]:
    """(model calls per second inside the engine, whole run seconds) of one ``translate`` run."""
    data = mmbench_tsv(work / f"src{concurrency}", n_texts)
    config = TranslateConfig(
        task="mmbench", data=data, to=["fr"], translator=f"openai:{base_url}#fake",
        out=work / f"t{concurrency}", translator_options={"concurrency": str(concurrency)},
        encoder=f"hf:{encoder}",
    )  # fmt: skip
    TIMER.reset()
    started = time.perf_counter()
    run_translate(config)
    return TIMER.calls / TIMER.seconds, time.perf_counter() - started


def xpaperqa_rate(base_url: str, concurrency: int, pages: int, work: Path) -> tuple[float, float]:
    """As ``translate_rate`` for one ``build xpaperqa`` run (3 generation prompts per page; the fake
    server's answers are not JSON, so nothing goes further)."""
    folder = work / f"papers{concurrency}"
    folder.mkdir()
    write_pdf(folder / "paper.pdf", [f"{EN_TEXT} Page {i}." for i in range(pages)])
    config = XPaperQAConfig(input=folder, generator=f"openai:{base_url}#fake", out=work / f"x{concurrency}",
                            generator_options={"concurrency": str(concurrency)}, ocr=False)  # fmt: skip
    TIMER.reset()
    started = time.perf_counter()
    build_xpaperqa(config, RunOptions(write_rejects=False))
    return TIMER.calls / TIMER.seconds, time.perf_counter() - started


def main() -> None:
    """Print both rates per builder and their ratios."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--texts1", type=int, default=12)
    parser.add_argument("--texts32", type=int, default=600)
    parser.add_argument("--pages1", type=int, default=4)
    parser.add_argument("--pages32", type=int, default=200)
    args = parser.parse_args()
    TIMER.install()
    proc, base_url = start_server(latency=0.05, fault_rate=0.0)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        encoder = build_tiny_encoder(work / "encoder", ["question", "number", "hint", "answer", "a", "b"])
        try:
            translate_rate(base_url, 4, 6, encoder, work / "warm")  # imports, first connections
            t1 = translate_rate(base_url, 1, args.texts1, encoder, work)
            t32 = translate_rate(base_url, 32, args.texts32, encoder, work)
            x1 = xpaperqa_rate(base_url, 1, args.pages1, work)
            x32 = xpaperqa_rate(base_url, 32, args.pages32, work)
        finally:
            proc.terminate()
            proc.wait(5)
    for name, (one, wall1), (many, wall32) in (("translate", t1, t32), ("build xpaperqa", x1, x32)):
        ratio = many / one
        verdict = "OK" if ratio >= 15 else "BELOW"
        print(f"{name:<15} concurrency 1: {one:7.1f} calls/s (run {wall1:.1f} s)  concurrency 32: "
              f"{many:7.1f} calls/s (run {wall32:.1f} s)  ratio {ratio:.1f}x (target >= 15x) "
              f"{verdict}")  # fmt: skip


if __name__ == "__main__":
    main()
