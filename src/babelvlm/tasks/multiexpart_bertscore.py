"""BERTScore for MultiExpArt (SPEC 1 and 5): only with a local encoder, otherwise said to be skipped.

``-T bertscore_model=DIR`` (a local encoder directory, e.g. xlm-roberta-large), optional
``-T bertscore_layer=N`` (default: the encoder's last layer; bert-score's own per-model table is keyed by
Hub names) and ``-T bertscore_baseline=FILE`` (bert-score's ``LAYER,P,R,F`` file: rescaling is off unless
given). The score is BERTScore F1 x 100 against the reference explanation (``babelvlm.metrics.bertscore``).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from babelvlm.errors import ConfigError
from babelvlm.schema import Sample, SampleScore, TaskResult

SKIPPED = "no local encoder given (-T bertscore_model=DIR); nothing is downloaded"


def bertscore_options(extra: Mapping[str, str]) -> dict[str, Any] | None:
    """The BERTScore settings of the ``-T`` options (None: skipped); a bad directory fails at load."""
    model = extra.get("bertscore_model")
    if not model:
        return None
    if not Path(model).is_dir():
        raise ConfigError(f"-T bertscore_model={model} is not a directory (fix: a local encoder folder)")
    layer = extra.get("bertscore_layer")
    if layer is not None and not layer.isdigit():
        raise ConfigError(
            f"-T bertscore_layer={layer} is not a layer number (fix: e.g. -T bertscore_layer=17)"
        )
    baseline = extra.get("bertscore_baseline") or None
    return {"model": model, "layer": int(layer) if layer else None, "baseline": baseline}


def bertscore_scores(sample: Sample, prediction: str, ref_lang: str) -> dict[str, float | None]:
    """``{'bertscore': F1 x 100}`` when the sample was loaded with an encoder, else nothing."""
    settings = sample.meta.get("bertscore")
    if not settings:
        return {}
    from babelvlm.metrics import get_metric

    value = get_metric("bertscore")(
        prediction, sample.references, lang=ref_lang, model_dir=settings["model"],
        layer=settings["layer"], baseline=settings["baseline"],
    )  # fmt: skip
    return {"bertscore": value}


def describe_bertscore(result: TaskResult, scored: list[SampleScore]) -> None:
    """Say in ``extra`` how BERTScore was computed, or that it was skipped (never silently absent)."""
    settings = next((s.meta["bertscore"] for s in scored if s.meta.get("bertscore")), None)
    if settings is None:
        result.extra.setdefault("skipped_metrics", {})["bertscore"] = SKIPPED
        return
    result.extra["bertscore"] = {
        **settings,
        "idf": False,
        "rescaled_with_baseline": settings["baseline"] is not None,
        "scale": "F1 x 100",
    }
