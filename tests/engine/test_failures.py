"""Failure reasons: one reason per cause, however many samples and attempts it hit."""

from __future__ import annotations

from babelvlm.engine.failures import count_failure_reasons, failure_reason, merge_reasons
from babelvlm.schema import SampleScore


def _failed(error: str) -> SampleScore:
    return SampleScore(sample_id="s", task="t", lang="en", prediction=None, scores={}, error=error)


def test_reason_drops_retry_counts_fix_hints_and_row_numbers() -> None:
    retried = "failed after 7 attempts; last error: connection error (ConnectError: refused)"
    assert failure_reason(retried) == "connection error (ConnectError: refused)"
    bad = "bad input: data.jsonl row 17: image x.png: file not found (fix: check the image path)"
    assert failure_reason(bad) == "bad input: data.jsonl row N: image x.png: file not found"
    assert failure_reason("line one\nline two") == "line one" and failure_reason("  ") == "unknown error"
    assert len(failure_reason("x" * 1000)) == 160


def test_counts_most_common_first_and_merge() -> None:
    samples = [_failed("timeout")] + [
        _failed(f"failed after {n} attempts; last error: HTTP 503") for n in (2, 7)
    ]
    samples.append(SampleScore(sample_id="ok", task="t", lang="en", prediction="a", scores={"m": 1.0}))
    counts = count_failure_reasons(samples)
    assert counts == {"HTTP 503": 2, "timeout": 1} and list(counts) == ["HTTP 503", "timeout"]
    assert merge_reasons([counts, {"timeout": 3}]) == {"timeout": 4, "HTTP 503": 2}
