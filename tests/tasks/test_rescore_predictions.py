"""`babelvlm score` on predictions as other tools write them: keyed by the source's ids, VLMEvalKit
.xlsx/.tsv/.csv prediction files and lmms-eval --log_samples JSONL score exactly as BabelVLM's own JSONL."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook
from tsv_fixtures import MCQ_HEADER, mcq_rows, write_tsv

from babelvlm.engine.prediction_files import read_prediction_rows
from babelvlm.engine.score_file import score_predictions
from babelvlm.errors import DataError
from babelvlm.schema import Sample
from babelvlm.tasks.base import LoadOptions
from babelvlm.tasks.registry import get_task

MMBENCH = get_task("mmbench")
COLUMNS = [c for c in MCQ_HEADER if c != "image"]  # VLMEvalKit drops the image from its prediction files


@pytest.fixture
def mmbench_dir(tmp_path: Path) -> Path:
    data = tmp_path / "mmbench"
    write_tsv(data / "MMBench_DEV_EN.tsv", MCQ_HEADER, mcq_rows("en", 3, circular=True, answers="ABC"))
    write_tsv(data / "mmbench_dev_cn.tsv", MCQ_HEADER, mcq_rows("zh", 3, circular=True, answers="DCB"))
    return data


def _answer(sample: Sample) -> str:
    """Right on groups 0 and 1, wrong on one rotation of group 2, unreadable on one row of group 1."""
    index = int(sample.meta["index"])
    if index == 2 + 10**6:
        return "A" if sample.references[0] != "A" else "B"
    if index == 1 + 2 * 10**6:
        return "no idea"
    return f"The answer is {sample.references[0]}."


def _samples(data: Path, langs: list[str] | None = None) -> list[Sample]:
    return list(MMBENCH.load(LoadOptions(data=data, langs=langs)))


def _write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def _vlmevalkit_rows(samples: list[Sample]) -> list[dict[str, Any]]:
    """The benchmark's columns plus ``prediction``, the way VLMEvalKit writes its prediction files."""
    rows = []
    for s in samples:
        row = {"index": int(s.meta["index"]), "question": s.meta["question"], "hint": s.meta["hint"]}
        row.update(s.options or {})
        row.update(answer=s.references[0], category=s.meta["category"], prediction=_answer(s))
        row["l2-category"] = s.meta["l2_category"]
        rows.append(row)
    return rows


def _write_xlsx(path: Path, rows: list[dict[str, Any]]) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    header = [*COLUMNS, "prediction"]
    sheet.append(header)
    for row in rows:
        sheet.append([row.get(c) for c in header])
    book.save(path)
    return path


def _write_csv(path: Path, rows: list[dict[str, Any]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, [*COLUMNS, "prediction"])
        writer.writeheader()
        writer.writerows(rows)
    return path


def _score(tmp_path: Path, preds: Path, data: Path, name: str, **kw: Any) -> dict[str, Any]:
    run = score_predictions(
        "mmbench", preds, data=data, out=tmp_path / f"out_{name}", write_report=False, **kw
    )
    return run.tasks["mmbench"].model_dump()


def test_vlmevalkit_files_and_index_keyed_jsonl_score_as_internal_ids(
    tmp_path: Path, mmbench_dir: Path
) -> None:
    en_file = mmbench_dir / "MMBench_DEV_EN.tsv"
    samples = _samples(en_file)
    internal = _write_jsonl(tmp_path / "ids.jsonl", [{"id": s.id, "prediction": _answer(s)} for s in samples])
    expected = _score(tmp_path, internal, en_file, "internal")
    assert expected["scores"]["circular_accuracy"] == pytest.approx(1 / 3)
    assert expected["scores"]["extracted"] == pytest.approx(11 / 12)
    by_index = [{"index": int(s.meta["index"]), "prediction": _answer(s)} for s in samples]
    rows = _vlmevalkit_rows(samples)
    files = {
        "index.jsonl": _write_jsonl(tmp_path / "index.jsonl", by_index),
        "pred.xlsx": _write_xlsx(tmp_path / "pred.xlsx", rows),
        "pred.tsv": write_tsv(tmp_path / "pred.tsv", [*COLUMNS, "prediction"], rows),
        "pred.csv": _write_csv(tmp_path / "pred.csv", rows),
    }
    for name, path in files.items():
        assert _score(tmp_path, path, en_file, name) == expected, name


def test_lang_field_disambiguates_a_folder_of_languages(tmp_path: Path, mmbench_dir: Path) -> None:
    samples = _samples(mmbench_dir)
    internal = _write_jsonl(tmp_path / "ids.jsonl", [{"id": s.id, "prediction": _answer(s)} for s in samples])
    expected = _score(tmp_path, internal, mmbench_dir, "internal")
    keyed = [{"index": s.meta["index"], "lang": s.lang, "prediction": _answer(s)} for s in samples]
    assert _score(tmp_path, _write_jsonl(tmp_path / "k.jsonl", keyed), mmbench_dir, "keyed") == expected
    en_only = [{"index": s.meta["index"], "prediction": _answer(s)} for s in samples if s.lang == "en"]
    en_path = _write_jsonl(tmp_path / "en.jsonl", en_only)
    with_langs = _score(tmp_path, en_path, mmbench_dir, "en", langs=["en"])
    assert with_langs["by_language"]["en"] == expected["by_language"]["en"]


def test_ambiguous_source_ids_name_the_fix(tmp_path: Path, mmbench_dir: Path) -> None:
    preds = _write_jsonl(tmp_path / "p.jsonl", [{"index": 0, "prediction": "A"}])
    with pytest.raises(DataError) as err:
        score_predictions("mmbench", preds, data=mmbench_dir, out=tmp_path / "x", write_report=False)
    message = str(err.value)
    assert "p.jsonl row 1 field 'index'" in message and "matches 2 samples" in message
    assert "'lang'" in message and "--langs en" in message


def test_duplicate_and_unknown_predictions_are_errors(tmp_path: Path, mmbench_dir: Path) -> None:
    en_file = mmbench_dir / "MMBench_DEV_EN.tsv"
    twice = _write_jsonl(
        tmp_path / "d.jsonl", [{"index": 0, "prediction": "A"}, {"id": "en/0", "prediction": "B"}]
    )
    with pytest.raises(DataError, match=r"row 2.*predicts sample 'en/0' again"):
        score_predictions("mmbench", twice, data=en_file, out=tmp_path / "x", write_report=False)
    unknown = _write_jsonl(tmp_path / "u.jsonl", [{"index": 99, "prediction": "A"}])
    with pytest.raises(DataError, match=r"match no sample of the task, e\.g\. index '99'"):
        score_predictions("mmbench", unknown, data=en_file, out=tmp_path / "y", write_report=False)


def test_lmms_eval_log_samples(tmp_path: Path, mmbench_dir: Path) -> None:
    en_file = mmbench_dir / "MMBench_DEV_EN.tsv"
    samples = _samples(en_file)
    internal = _write_jsonl(tmp_path / "ids.jsonl", [{"id": s.id, "prediction": _answer(s)} for s in samples])
    logged = [
        {"doc_id": n, "doc": {"index": int(s.meta["index"]), "question": s.meta["question"]},
         "target": s.references[0], "arguments": [], "resps": [[_answer(s)]], "filtered_resps": [_answer(s)]}
        for n, s in enumerate(samples)
    ]  # fmt: skip
    log = _write_jsonl(tmp_path / "samples_mmbench_en.jsonl", logged)
    assert _score(tmp_path, log, en_file, "lmms") == _score(tmp_path, internal, en_file, "internal")


def test_reader_keeps_failures_and_whole_numbers(tmp_path: Path) -> None:
    book = tmp_path / "p.xlsx"
    _write_xlsx(book, [{"index": 17.0, "prediction": None}, {"index": 3, "prediction": "B"}])
    rows = read_prediction_rows(book)
    assert [(r.key, r.prediction, r.error) for r in rows] == [
        ("17", None, "empty prediction cell"),
        ("3", "B", None),
    ]
    no_pred = _write_csv(tmp_path / "x.csv", [])
    no_pred.write_text("index,answer\n1,A\n")
    with pytest.raises(DataError, match="no 'prediction' column"):
        read_prediction_rows(no_pred)


def test_xtvqa_keyed_by_source_id_and_lang(tmp_path: Path) -> None:
    from test_xtvqa import ROWS, _png

    data = _write_jsonl(tmp_path / "xtvqa.jsonl", ROWS)
    for row in ROWS:
        _png(tmp_path / str(row["image"]))
    samples = list(get_task("xtvqa").load(LoadOptions(data=data)))
    internal = _write_jsonl(tmp_path / "ids.jsonl", [{"id": s.id, "prediction": "nike"} for s in samples])
    keyed = [{"id": s.meta["source_id"], "lang": s.lang, "prediction": "nike"} for s in samples]
    keyed_path = _write_jsonl(tmp_path / "keyed.jsonl", keyed)
    a = score_predictions("xtvqa", internal, data=data, out=tmp_path / "a", write_report=False)
    b = score_predictions("xtvqa", keyed_path, data=data, out=tmp_path / "b", write_report=False)
    assert a.tasks["xtvqa"].model_dump() == b.tasks["xtvqa"].model_dump()
