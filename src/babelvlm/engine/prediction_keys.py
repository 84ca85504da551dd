"""Match prediction rows to a task's samples: by BabelVLM sample id, or by the source's own id (a TSV's
``index``, XT-VQA's ``id`` / ``question_id``) when that names one sample -- one language loaded, or a
``lang`` field in the row. An id shared by several samples is an error that says how to disambiguate."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from babelvlm.engine.prediction_files import PredictionRow
from babelvlm.engine.scoring import Prediction
from babelvlm.errors import DataError
from babelvlm.schema import Sample

SOURCE_ID_META = ("index", "source_id")
"""Sample meta fields holding the id a sample has in its source file."""


def source_ids(sample: Sample) -> list[str]:
    """The ids ``sample`` has in its source file (besides its BabelVLM id)."""
    return [str(sample.meta[name]) for name in SOURCE_ID_META if sample.meta.get(name) is not None]


class SampleIndex:
    """Samples by BabelVLM id and by source id (a source id may name one sample per language)."""

    def __init__(self, samples: Iterable[Sample]) -> None:
        self.by_id: dict[str, Sample] = {}
        self.by_source: dict[str, list[Sample]] = {}
        for sample in samples:
            self.by_id[sample.id] = sample
            for key in source_ids(sample):
                self.by_source.setdefault(key, []).append(sample)

    def resolve(self, row: PredictionRow) -> Sample | None:
        """The sample ``row`` predicts; None when no sample has its key; DataError when several do."""
        if row.key in self.by_id and (row.lang is None or self.by_id[row.key].lang == row.lang):
            return self.by_id[row.key]
        candidates = self.by_source.get(row.key, [])
        if row.lang is not None:
            candidates = [s for s in candidates if s.lang == row.lang]
        if len(candidates) <= 1:
            return candidates[0] if candidates else None
        raise _ambiguous(row, candidates)


def _ambiguous(row: PredictionRow, candidates: Sequence[Sample]) -> DataError:
    langs = sorted({s.lang for s in candidates})
    shown = ", ".join(s.id for s in candidates[:4])
    if row.lang is None and len(langs) > 1:
        fix = (
            f"add a 'lang' column/field to the predictions ({', '.join(langs)}), or score one language at a "
            f"time (--langs {langs[0]}, or --data the {langs[0]} file)"
        )
    else:
        fix = f"use the BabelVLM sample ids ({shown}) in the '{row.key_field}' field"
    return DataError(
        f"{row.key_field} '{row.key}' matches {len(candidates)} samples ({shown})",
        file=row.file,
        row=row.row,
        field=row.key_field,
        fix=fix,
    )


def match_predictions(
    rows: Iterable[PredictionRow], samples: Iterable[Sample], path: Path, *, allow_unknown: bool
) -> dict[str, Prediction]:
    """Predictions keyed by sample id. Two rows for one sample are an error; rows naming no sample are an
    error unless ``allow_unknown`` (e.g. ``--langs`` left some languages of the file out)."""
    index = SampleIndex(samples)
    out: dict[str, Prediction] = {}
    first_row: dict[str, int] = {}
    unknown: list[PredictionRow] = []
    for row in rows:
        sample = index.resolve(row)
        if sample is None:
            unknown.append(row)
            continue
        if sample.id in out:
            raise DataError(
                f"predicts sample '{sample.id}' again (first at row {first_row[sample.id]})",
                file=row.file,
                row=row.row,
                field=row.key_field,
                fix="keep one prediction per sample",
            )
        first_row[sample.id] = row.row
        out[sample.id] = (row.prediction, row.error)
    if unknown and not allow_unknown:
        first = unknown[0]
        raise DataError(
            f"{len(unknown)} prediction(s) match no sample of the task, e.g. {first.key_field} '{first.key}'",
            file=str(path),
            row=first.row,
            field=first.key_field,
            fix="check --task and --data (and --langs / the 'lang' field)",
        )
    return out
