"""``babelvlm score``: score predictions made elsewhere (BabelVLM JSONL, JSONL keyed by the source's ids,
VLMEvalKit .xlsx/.tsv/.csv prediction files, lmms-eval ``--log_samples`` JSONL) with a task's scorers and
aggregation, writing the same results.json / samples.jsonl / report.html as ``eval``."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from babelvlm import __version__
from babelvlm.atomic import write_lines_atomic
from babelvlm.engine.prediction_files import read_prediction_rows
from babelvlm.engine.prediction_keys import match_predictions
from babelvlm.engine.runner import write_report_safely, write_results
from babelvlm.engine.scoring import sample_record, score_task
from babelvlm.schema import RunResult, Sample
from babelvlm.tasks.base import LoadOptions, Task
from babelvlm.tasks.registry import get_task


def score_predictions(
    task_name: str,
    predictions: Path,
    *,
    data: Path | None = None,
    out: Path = Path("runs/scored"),
    langs: list[str] | None = None,
    task_options: dict[str, str] | None = None,
    seed: int = 0,
    write_report: bool = True,
) -> RunResult:
    """Score every sample of ``task_name`` against ``predictions`` (rows keyed by sample id or by the
    source's own id, see ``prediction_keys``); samples without a prediction are failures (counted in
    n_failed), predictions for unknown ids are a DataError."""
    task = get_task(task_name)
    rows = read_prediction_rows(predictions)
    options = LoadOptions(data=data, langs=langs, seed=seed, extra=dict(task_options or {}))
    samples = list(task.load(options))
    preds = match_predictions(rows, samples, predictions, allow_unknown=langs is not None)
    scored, result = score_task(task, samples, preds, seed)
    result.extra["predictions"] = prediction_coverage(task, samples, set(preds))
    out.mkdir(parents=True, exist_ok=True)
    by_id = {s.id: s for s in samples}
    records = (json.dumps(sample_record(s, by_id[s.sample_id]), ensure_ascii=False) for s in scored)
    write_lines_atomic(out / "samples.jsonl", records)
    run = RunResult(
        babelvlm_version=__version__,
        model=f"predictions:{predictions}",
        created=datetime.now(UTC).isoformat(timespec="seconds"),
        tasks={task.name: result},
        config={"task": task_name, "predictions": str(predictions), "data": str(data) if data else None},
    )
    write_results(out, run)
    if write_report:
        write_report_safely(out)
    return run


def prediction_coverage(task: Task, samples: list[Sample], predicted: set[str]) -> dict[str, Any]:
    """How many samples had no prediction and, when the predictions cover only part of the task, the
    ``--langs`` and ``-T`` options that select just the part they cover."""
    matched = [s for s in samples if s.id in predicted]
    coverage: dict[str, Any] = {
        "given": len(predicted),
        "matched": len(matched),
        "samples_without_prediction": len(samples) - len(matched),
    }
    if matched and len(matched) < len(samples):
        fixes = _narrowing_options(task, samples, matched)
        if fixes:
            coverage["fix"] = " ".join(fixes)
    return coverage


def _narrowing_options(task: Task, samples: list[Sample], matched: list[Sample]) -> list[str]:
    """``--langs`` for the question languages, and the task's own options (declared in its
    ``TaskInfo.extra``) for image-text languages and for how many items are generated."""
    fixes = []
    q_langs = sorted({s.lang for s in matched})
    if set(q_langs) != {s.lang for s in samples}:
        fixes.append(f"--langs {','.join(q_langs)}")
    img_langs = sorted({s.image_lang for s in matched if s.image_lang})
    option = task.info.extra.get("image_langs_option")
    if option and set(img_langs) != {s.image_lang for s in samples if s.image_lang}:
        fixes.append(f"-T {option}={','.join(img_langs)}")
    count_option, count_meta = task.info.extra.get("count_option"), task.info.extra.get("count_meta")
    if count_option and count_meta:
        needed = 1 + max(int(s.meta.get(count_meta, 0)) for s in matched)
        if needed < 1 + max(int(s.meta.get(count_meta, 0)) for s in samples):
            fixes.append(f"-T {count_option}={needed}")
    return fixes
