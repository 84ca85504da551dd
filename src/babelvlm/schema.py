"""The typed records that flow through BabelVLM: Sample -> Request -> Output -> SampleScore -> RunResult.

Samples, requests and outputs are plain dataclasses (they are made by the million on the hot path);
the results that users read (``results.json``) are pydantic models with a ``schema_version``.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

SCHEMA_VERSION = "1.0"
"""Version of ``results.json``; bump the minor on additions, the major on changes."""


@dataclass(frozen=True, slots=True)
class ImageRef:
    """Where an image's encoded bytes come from; nothing is read until ``read_bytes`` is called.

    Exactly one of ``path``, ``b64`` or ``data`` is set. ``source`` describes the origin for error
    messages (e.g. ``"mmbench_fr.tsv row 17 column 'image'"``).
    """

    path: str | None = None
    b64: str | None = None
    data: bytes | None = None
    source: str = ""

    def read_bytes(self) -> bytes:
        """The encoded image bytes (PNG, JPEG, ...). Validation happens in ``babelvlm.images``."""
        if self.data is not None:
            return self.data
        if self.b64 is not None:
            return base64.b64decode(self.b64)
        if self.path is not None:
            return Path(self.path).read_bytes()
        raise ValueError(f"empty ImageRef ({self.source})")


@dataclass(slots=True)
class Sample:
    """One benchmark item in one language configuration, with its prompt already built.

    ``lang`` is the language of the question / instruction; ``output_lang`` the answer language the
    prompt asks for (None when the prompt does not ask); ``image_lang`` the language of the text in the
    image (None when not applicable). These three are the axes of every language matrix.
    """

    id: str
    task: str
    prompt: str
    references: list[str]
    lang: str
    images: list[ImageRef] = field(default_factory=list)
    output_lang: str | None = None
    image_lang: str | None = None
    options: dict[str, str] | None = None
    max_new_tokens: int = 32
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Request:
    """What a backend receives: the prompt, the decoded-and-validated image bytes, generation settings.

    ``references`` are never sent to a real model; only the ``mock:answer`` backend reads them.
    ``key`` is the cache key (model fingerprint + prompt + image bytes + generation parameters).
    """

    key: str
    task: str
    sample_id: str
    prompt: str
    images: list[bytes] = field(default_factory=list)
    max_new_tokens: int = 32
    temperature: float = 0.0
    lang: str = "en"
    references: list[str] = field(default_factory=list)
    attempt: int = 1
    """1 on the first send of this key, n on the n-th (set by the engine from its store)."""
    image_refs: list[ImageRef] = field(default_factory=list)
    """Where ``images`` were read from: an executor that ships requests to workers (Ray) sends these
    instead of the bytes and the worker reads them, so the driver never holds a window's images."""


@dataclass(slots=True)
class Output:
    """A backend's answer to one request: ``text`` on success, ``error`` on failure (never both)."""

    text: str | None = None
    error: str | None = None
    latency_s: float = 0.0
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.error is None and self.text is not None


@dataclass(slots=True)
class TokenStats:
    """Teacher-forced statistics of one answer under one input (for visual mutual information).

    ``entropies[i]`` is H(p(. | V, Q, y_<i)) in nats at answer position i; ``logprobs[i]`` is
    log p(y_i | ...). ``top_k`` is None when the full distribution was used, else the k of the
    top-k approximation (a flagged approximation, never silently the same field).
    """

    entropies: list[float]
    logprobs: list[float]
    top_k: int | None = None
    error: str | None = None


@dataclass(slots=True)
class SampleScore:
    """A scored sample: the prediction, its metric values (None = undefined, excluded) or its failure."""

    sample_id: str
    task: str
    lang: str
    prediction: str | None
    scores: dict[str, float | None]
    output_lang: str | None = None
    image_lang: str | None = None
    error: str | None = None
    detected_lang: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    references: list[str] = field(default_factory=list)
    """The accepted answers (shown next to wrong predictions in the report)."""
    evidence: dict[str, str] = field(default_factory=dict)
    """Intermediate results that explain the answer: the backend's OCR text, the extracted option, the
    judge's rationale (``Task.evidence`` and ``engine.scoring.BACKEND_EVIDENCE``)."""

    @property
    def failed(self) -> bool:
        return self.error is not None


class TaskResult(BaseModel):
    """Results of one task in ``results.json``."""

    scores: dict[str, float] = Field(description="Headline metrics over all scored samples.")
    by_language: dict[str, dict[str, float]] = Field(
        default_factory=dict, description="Metrics per question / instruction language."
    )
    matrix: dict[str, dict[str, dict[str, float]]] = Field(
        default_factory=dict,
        description="Row language -> column language -> metrics (see matrix_axes).",
    )
    matrix_axes: list[str] = Field(
        default_factory=list,
        description="Names of the matrix's row and column axes, e.g. ['question', 'image_text'].",
    )
    fidelity: dict[str, Any] = Field(
        default_factory=dict,
        description="Language fidelity: share of outputs in the requested language, overall and per cell.",
    )
    n_samples: int = Field(description="Samples planned for this task.")
    n_failed: int = Field(default=0, description="Failed requests or parses, excluded from every mean.")
    n_excluded: dict[str, int] = Field(
        default_factory=dict, description="Per metric: samples where the metric is undefined."
    )
    primary_metric: str = Field(default="", description="The metric used for headline tables.")
    extra: dict[str, Any] = Field(default_factory=dict, description="Task-specific tables (gaps, ...).")
    n_skipped_rows: int = Field(
        default=0, description="Input rows skipped as bad under --skip-bad-rows (not in n_samples)."
    )
    failure_reasons: dict[str, int] = Field(
        default_factory=dict, description="Failed samples counted by reason, most common first."
    )


class RunResult(BaseModel):
    """The whole ``results.json`` of one run."""

    schema_version: str = SCHEMA_VERSION
    babelvlm_version: str
    model: str
    created: str = Field(description="ISO 8601 UTC time the results were written.")
    tasks: dict[str, TaskResult]
    config: dict[str, Any] = Field(default_factory=dict, description="The command's settings.")
