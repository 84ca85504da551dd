"""Read a run directory (results.json, samples.jsonl, mi.json) for the reports, with errors that say
which file and line is wrong."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from babelvlm.errors import DataError
from babelvlm.schema import RunResult, SampleScore

AXIS_NAMES = {
    "lang": "question / instruction language",
    "question": "question language",
    "instruction": "instruction language",
    "output_lang": "output language",
    "output": "output language",
    "image_lang": "image-text language",
    "image_text": "image-text language",
}


@dataclass
class RunData:
    """Everything a report shows about one run."""

    path: Path
    result: RunResult
    samples: dict[str, list[SampleScore]] = field(default_factory=dict)
    """Scored samples by task (empty when samples.jsonl is absent)."""
    mi: dict[str, Any] | None = None


def load_results(run_dir: Path) -> RunResult:
    """Parse and validate ``run_dir/results.json``."""
    path = run_dir / "results.json"
    if not path.exists():
        raise DataError("file not found", file=str(path), fix="run `babelvlm eval --out DIR` first")
    try:
        return RunResult.model_validate_json(path.read_text(encoding="utf-8"))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        raise DataError(
            f"not a BabelVLM results file: {first.get('msg')}",
            file=str(path),
            field=where or None,
            fix="rebuild it with `babelvlm eval` (same version)",
        ) from exc


def score_from_row(row: dict[str, Any]) -> SampleScore:
    """A SampleScore from one samples.jsonl object (extra keys such as prompt are ignored)."""
    return SampleScore(
        sample_id=str(row["sample_id"]),
        task=str(row["task"]),
        lang=str(row.get("lang") or ""),
        prediction=row.get("prediction"),
        scores={str(k): (None if v is None else float(v)) for k, v in (row.get("scores") or {}).items()},
        output_lang=row.get("output_lang"),
        image_lang=row.get("image_lang"),
        error=row.get("error"),
        detected_lang=row.get("detected_lang"),
        meta=row.get("meta") or {},
        references=[str(r) for r in (row.get("references") or [])],
        evidence={str(k): str(v) for k, v in (row.get("evidence") or {}).items()},
    )


def load_samples(path: Path) -> dict[str, list[SampleScore]]:
    """Scored samples of ``samples.jsonl`` by task ({} when the file is absent)."""
    out: dict[str, list[SampleScore]] = {}
    if not path.exists():
        return out
    with path.open(encoding="utf-8") as fh:
        for i, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                score = score_from_row(json.loads(line))
            except (json.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError) as exc:
                raise DataError(
                    f"not a scored sample ({exc})",
                    file=str(path),
                    row=i,
                    fix="re-export it with `babelvlm eval`",
                ) from exc
            out.setdefault(score.task, []).append(score)
    return out


def load_mi(path: Path) -> dict[str, Any] | None:
    """The MI analysis of a run (None when absent)."""
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise DataError(f"invalid JSON ({exc})", file=str(path), fix="re-run `babelvlm analyze mi`") from exc
    if not isinstance(data, dict) or "tasks" not in data:
        raise DataError(
            "not an MI analysis", file=str(path), field="tasks", fix="re-run `babelvlm analyze mi`"
        )
    return data


def load_run(run_dir: Path, with_samples: bool = True) -> RunData:
    """Read a run directory."""
    run_dir = Path(run_dir)
    return RunData(
        path=run_dir,
        result=load_results(run_dir),
        samples=load_samples(run_dir / "samples.jsonl") if with_samples else {},
        mi=load_mi(run_dir / "mi.json"),
    )


def failure_reasons(samples: list[SampleScore]) -> dict[str, int]:
    """Failed samples counted by reason (``babelvlm.engine.failures``), most common first."""
    from babelvlm.engine.failures import count_failure_reasons

    return count_failure_reasons(samples)
