"""Predictions -> scored samples -> task results: the part shared by ``eval`` (predictions from the run
store) and ``score`` (predictions from a JSONL file made elsewhere)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from babelvlm.engine.failures import count_failure_reasons
from babelvlm.errors import BabelVLMError
from babelvlm.schema import Sample, SampleScore, TaskResult
from babelvlm.tasks.base import Task

log = logging.getLogger(__name__)

Prediction = tuple[str | None, str | None]
"""(text, None) for an answer, (None, error) for a failure."""
BACKEND_EVIDENCE = ("ocr_text", "reasoning", "finish_reason")
"""Keys of a backend's ``Output.meta`` that explain an answer (copied into samples.jsonl and the report);
the rest (timings, attempts) is bookkeeping."""


def backend_evidence(meta: Mapping[str, Any] | None) -> dict[str, str]:
    """The explaining part of one output's backend metadata."""
    return {k: str(meta[k]) for k in BACKEND_EVIDENCE if meta and meta.get(k) not in (None, "")}


def _task_evidence(task: Task, sample: Sample, text: str) -> dict[str, str]:
    try:
        return task.evidence(sample, text)
    except BabelVLMError as exc:  # evidence explains a score; it never fails the sample
        log.debug("%s: no evidence for %s: %s", task.name, sample.id, exc)
        return {}


def score_sample(
    task: Task, sample: Sample, prediction: Prediction | None, evidence: dict[str, str] | None = None
) -> SampleScore:
    """Score one sample; a missing or failed prediction, or a scorer's BabelVLMError, is a recorded
    failure (excluded from means, counted in n_failed), never a default score. ``evidence`` (from the
    backend) is kept with what the task read from the prediction."""
    text, error = prediction if prediction is not None else (None, "no prediction for this sample")
    scores: dict[str, float | None] = {}
    evidence = dict(evidence or {})
    if text is not None:
        try:
            scores = task.score(sample, text)
        except BabelVLMError as exc:
            error = f"scoring failed: {exc}"
        evidence.update(_task_evidence(task, sample, text))
    return SampleScore(
        sample_id=sample.id,
        task=sample.task,
        lang=sample.lang,
        prediction=text,
        scores=scores if error is None else {},
        output_lang=sample.output_lang,
        image_lang=sample.image_lang,
        error=error,
        meta=dict(sample.meta),
        references=list(sample.references),
        evidence=evidence,
    )


def add_gaps(task: Task, result: TaskResult, scored: list[SampleScore], seed: int) -> None:
    """Store the gap tables with bootstrap CIs (``babelvlm.analysis.gaps``) in ``result.extra['gaps']``."""
    try:
        from babelvlm.analysis.gaps import gap_tables
    except ImportError:
        return
    metric = task.info.primary_metric
    if not result.matrix or not metric:
        return
    result.extra["gaps"] = gap_tables(scored, axes=task.info.matrix_axes, metric=metric, seed=seed)


def score_task(
    task: Task,
    samples: list[Sample],
    predictions: Mapping[str, Prediction],
    seed: int = 0,
    evidence: Mapping[str, dict[str, str]] | None = None,
) -> tuple[list[SampleScore], TaskResult]:
    """Score ``samples`` (``predictions`` and backend ``evidence`` keyed by sample id) and aggregate them
    with the task's rule."""
    answered = {sid: text for sid, (text, _) in predictions.items() if text is not None}
    try:
        task.prepare_scoring(samples, answered)
    except BabelVLMError as exc:  # per-sample scoring retries and records each failure
        log.warning("%s: batched scoring calls failed (%s); scoring sample by sample", task.name, exc)
    evidence = evidence or {}
    scored = [score_sample(task, s, predictions.get(s.id), evidence.get(s.id)) for s in samples]
    if task.info.generative:  # samples.jsonl carries each output's detected language (SPEC 7)
        from babelvlm.metrics.fidelity import annotate_languages

        annotate_languages(scored)
    result = task.aggregate(scored, len(samples))
    result.failure_reasons = count_failure_reasons(scored)
    add_gaps(task, result, scored, seed)
    return scored, result


def sample_record(score: SampleScore, sample: Sample) -> dict[str, Any]:
    """One ``samples.jsonl`` line: the SampleScore fields plus ``prompt`` and ``references``."""
    return {
        "sample_id": score.sample_id,
        "task": score.task,
        "lang": score.lang,
        "output_lang": score.output_lang,
        "image_lang": score.image_lang,
        "prediction": score.prediction,
        "scores": score.scores,
        "error": score.error,
        "detected_lang": score.detected_lang,
        "evidence": score.evidence,
        "meta": score.meta,
        "prompt": sample.prompt,
        "references": sample.references,
    }
