"""The Hugging Face copies of the benchmarks (lmms-lab MMBench, MME, POPE, ScienceQA-IMG, ai2d; Parrot's
MMMB), written here in each published column layout, build the same samples and score exactly as the
VLMEvalKit TSVs of the same items; a cached Hub id is read offline, an uncached one is a clear error."""

from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from test_pixmo import mme_rows, pope_rows
from tsv_fixtures import MCQ_HEADER, YN_HEADER, mcq_rows, write_tsv

from babelvlm.engine.scoring import Prediction, score_task
from babelvlm.errors import DataError
from babelvlm.schema import Sample
from babelvlm.tasks.base import LoadOptions
from babelvlm.tasks.registry import get_task

Row = dict[str, Any]


def _image(row: Row, by_index: dict[str, str]) -> dict[str, Any]:
    """The HF ``Image`` struct of a TSV row (a short ``image`` cell refers to another row's image)."""
    b64 = row["image"] if len(str(row["image"])) > 64 else by_index[str(row["image"])]
    return {"bytes": base64.b64decode(b64), "path": None}


def _images(rows: list[Row]) -> dict[str, str]:
    return {str(r["index"]): r["image"] for r in rows if len(str(r["image"])) > 64}


def mmbench_layout(rows: list[Row]) -> list[Row]:
    """lmms-lab/MMBench: the TSV columns, ``L2-category``, an image struct, plus source/comment/split."""
    by_index = _images(rows)
    return [
        {"index": r["index"], "question": r["question"], "hint": r["hint"], "A": r["A"], "B": r["B"],
         "C": r["C"], "D": r["D"], "answer": r["answer"], "category": r["category"],
         "image": _image(r, by_index), "source": "fixture", "L2-category": r["l2-category"],
         "comment": None, "split": "dev"}
        for r in rows
    ]  # fmt: skip


def mmmb_layout(rows: list[Row]) -> list[Row]:
    """Parrot's MMMB TSV converted to parquet as it is: the image stays base64 text."""
    return [{k: r[k] for k in MCQ_HEADER} for r in rows]


def scienceqa_layout(rows: list[Row]) -> list[Row]:
    """lmms-lab/ScienceQA (ScienceQA-IMG): ``choices`` list, ``answer`` = position, ``hint`` '' when none."""
    by_index = _images(rows)
    return [
        {"image": _image(r, by_index), "question": r["question"], "choices": [r[c] for c in "ABCD"],
         "answer": "ABCD".index(r["answer"]), "hint": r["hint"] or "", "task": "closed choice",
         "grade": "grade3", "subject": "natural science", "topic": "colour", "category": r["category"],
         "skill": "identify colours", "lecture": "", "solution": ""}
        for r in rows
    ]  # fmt: skip


def ai2d_layout(rows: list[Row]) -> list[Row]:
    """lmms-lab/ai2d: ``options`` list and ``answer`` = the position as text (no hint, no category)."""
    by_index = _images(rows)
    return [
        {"question": r["question"], "options": [r[c] for c in "ABCD"],
         "answer": str("ABCD".index(r["answer"])), "image": _image(r, by_index)}
        for r in rows
    ]  # fmt: skip


def mme_layout(rows: list[Row]) -> list[Row]:
    """lmms-lab/MME: ``question_id`` = the image file (shared by its two questions)."""
    by_index = _images(rows)
    return [
        {"question_id": r["image_path"], "image": _image(r, by_index), "question": r["question"],
         "answer": r["answer"], "category": r["category"]}
        for r in rows
    ]  # fmt: skip


def pope_layout(rows: list[Row]) -> list[Row]:
    """lmms-lab/POPE: lower-case answers, ``image_source``, ``question_id``."""
    by_index = _images(rows)
    return [
        {"id": str(n), "question_id": str(r["index"] + 1), "question": r["question"],
         "answer": r["answer"].lower(), "image_source": f"COCO_val2014_{r['index']:012d}",
         "image": _image(r, by_index), "category": r["category"]}
        for n, r in enumerate(rows)
    ]  # fmt: skip


def _mcq(n: int, circular: bool) -> Callable[[str], list[Row]]:
    return lambda lang: mcq_rows(lang, n, circular=circular, answers="ABCD")


def _ai2d_items(lang: str) -> list[Row]:
    """AI2D items carry no hint and no category."""
    return [{**r, "hint": None, "category": None, "l2-category": None} for r in mcq_rows(lang, 8, False)]


def _scienceqa_items(lang: str) -> list[Row]:
    """ScienceQA items have a category but no l2-category (neither copy carries one)."""
    return [{**r, "l2-category": None} for r in mcq_rows(lang, 8, False)]


# task, TSV file name per language, TSV header, TSV rows, parquet path per language, layout, languages
Case = tuple[str, str, tuple[str, ...], Callable[[str], list[Row]], str, Callable[..., Any], tuple[str, ...]]
CASES: dict[str, Case] = {
    "mmbench": ("mmbench", "MMBench_DEV_{L}.tsv", MCQ_HEADER, _mcq(3, True), "{l}/dev-00000-of-00001.parquet",
                mmbench_layout, ("en", "zh")),
    "mmmb": ("mmmb", "mmmb_{l}.tsv", MCQ_HEADER, _mcq(8, False), "mmmb_{l}/test-00000-of-00001.parquet",
             mmmb_layout, ("en", "pt")),
    "scienceqa": ("pixmo_scienceqa", "ScienceQA_TEST_{l}.tsv", MCQ_HEADER, _scienceqa_items,
                  "ScienceQA-IMG/test-00000-of-00001.parquet", scienceqa_layout, ("en",)),
    "ai2d": ("pixmo_ai2d", "AI2D_TEST_{l}.tsv", MCQ_HEADER, _ai2d_items,
             "data/test-00000-of-00001.parquet", ai2d_layout, ("en",)),
    "mme": ("pixmo_mme", "MME_{l}.tsv", YN_HEADER, mme_rows, "data/test-00000-of-00001.parquet", mme_layout,
            ("en",)),
    "pope": ("pixmo_pope", "POPE_{l}.tsv", YN_HEADER[:-1], pope_rows, "data/test-00000-of-00001.parquet",
             pope_layout, ("en",)),
}  # fmt: skip


def _write_parquet(path: Path, rows: list[Row], row_group_size: int = 5) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows), path, row_group_size=row_group_size)


def _write_both(tmp_path: Path, name: str) -> tuple[Path, Path]:
    _, tsv_name, header, make_rows, parquet_name, layout, langs = CASES[name]
    tsv_dir, hub_dir = tmp_path / "tsv", tmp_path / "hub"
    for lang in langs:
        rows = make_rows(lang)
        write_tsv(tsv_dir / tsv_name.format(L=lang.upper(), l=lang), header, rows)
        hub_lang = "cn" if lang == "zh" else lang  # the Hub folders say cn, as the public files do
        _write_parquet(hub_dir / parquet_name.format(l=hub_lang), layout(rows))
    return tsv_dir, hub_dir


def _predictions(samples: list[Sample]) -> dict[str, Prediction]:
    """Mostly right, with wrong, unreadable and failed answers in a fixed cycle."""
    preds: dict[str, Prediction] = {}
    for n, s in enumerate(samples):
        right = s.references[0]
        wrong = next((k for k in (s.options or {"Yes": "", "No": ""}) if k != right), "No")
        ok: Prediction = (f"Answer: {right}", None)
        cycle: list[Prediction] = [ok, (wrong, None), ok, ("hmm", None), ok, (None, "timeout"), ok]
        preds[s.id] = cycle[n % len(cycle)]
    return preds


def _view(sample: Sample) -> tuple[Any, ...]:
    images = [ref.read_bytes() for ref in sample.images]
    return sample.prompt, sample.references, sample.options, sample.lang, images


@pytest.mark.parametrize("name", list(CASES))
def test_hub_layout_scores_as_the_tsv(tmp_path: Path, name: str) -> None:
    task = get_task(CASES[name][0])
    tsv_dir, hub_dir = _write_both(tmp_path, name)
    from_tsv = list(task.load(LoadOptions(data=tsv_dir)))
    from_hub = list(task.load(LoadOptions(data=hub_dir)))
    assert [_view(s) for s in from_hub] == [_view(s) for s in from_tsv]
    tsv_preds = _predictions(from_tsv)
    hub_preds = {h.id: tsv_preds[t.id] for h, t in zip(from_hub, from_tsv, strict=True)}
    _, tsv_result = score_task(task, from_tsv, tsv_preds)
    _, hub_result = score_task(task, from_hub, hub_preds)
    assert hub_result.model_dump() == tsv_result.model_dump()
    assert tsv_result.n_failed > 0 and 0 < tsv_result.scores["accuracy"] < 1


def test_mmbench_dev_split_is_the_default_and_test_is_chosen_by_option(tmp_path: Path) -> None:
    _, hub_dir = _write_both(tmp_path, "mmbench")
    test_rows = mmbench_layout(mcq_rows("en", 2, circular=False))
    for row in test_rows:
        row["answer"] = None  # MMBench's test split publishes no answers
    _write_parquet(hub_dir / "en" / "test-00000-of-00001.parquet", test_rows)
    task = get_task("mmbench")
    assert len(list(task.load(LoadOptions(data=hub_dir)))) == 2 * 12
    with pytest.raises(DataError, match="'answer': is empty"):
        list(task.load(LoadOptions(data=hub_dir, extra={"split": "test"})))
    with pytest.raises(DataError, match="splits found: dev, test"):
        list(task.load(LoadOptions(data=hub_dir, extra={"split": "validation"})))


def _cache_dataset(cache: Path, repo: str, files: dict[str, Path]) -> None:
    """Lay out a dataset the way huggingface_hub's cache does (refs/main -> snapshots/<commit>/...)."""
    folder = cache / f"datasets--{repo.replace('/', '--')}"
    commit = "0123456789abcdef0123456789abcdef01234567"
    (folder / "refs").mkdir(parents=True)
    (folder / "refs" / "main").write_text(commit)
    for relative, source in files.items():
        target = folder / "snapshots" / commit / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(source.read_bytes())


def test_cached_hub_id_is_read_offline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tsv_dir, hub_dir = _write_both(tmp_path, "mme")
    cache = tmp_path / "hf_cache"
    shard = "data/test-00000-of-00001.parquet"
    _cache_dataset(cache, "lmms-lab/MME", {shard: hub_dir / shard})
    _cache_dataset(
        cache,
        "AIDC-AI/Parrot-dataset",
        {"mmmb/mmmb_en.tsv": _write_both(tmp_path / "m", "mmmb")[0] / "mmmb_en.tsv"},
    )
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    task = get_task("pixmo_mme")
    cached = list(task.load(LoadOptions(data=Path("lmms-lab/MME"))))
    assert [_view(s) for s in cached] == [_view(s) for s in task.load(LoadOptions(data=tsv_dir))]
    mmmb = list(get_task("mmmb").load(LoadOptions(data=Path("AIDC-AI/Parrot-dataset"))))
    assert len(mmmb) == 8 and {s.lang for s in mmmb} == {"en"}
    with pytest.raises(DataError) as err:
        list(task.load(LoadOptions(data=Path("lmms-lab/POPE"))))
    message = str(err.value)
    assert "lmms-lab/POPE" in message and f"local Hugging Face cache ({cache})" in message
    assert "hf download lmms-lab/POPE --repo-type dataset" in message


def test_lmms_eval_log_of_a_hub_copy_rescores_by_doc_id(tmp_path: Path) -> None:
    """lmms-eval's doc_id is the row's position in the split, the index BabelVLM gives a Hub row."""
    import json

    from babelvlm.engine.score_file import score_predictions

    _, hub_dir = _write_both(tmp_path, "mme")
    samples = list(get_task("pixmo_mme").load(LoadOptions(data=hub_dir)))
    preds = _predictions(samples)
    by_id = tmp_path / "ids.jsonl"
    by_id.write_text(
        "".join(json.dumps({"id": k, "prediction": t, "error": e}) + "\n" for k, (t, e) in preds.items())
    )
    log = tmp_path / "samples_mme.jsonl"
    lines = [
        {"doc_id": n, "doc": {"question_id": s.meta["image"], "category": s.meta["category"]},
         "resps": [[preds[s.id][0]]], "filtered_resps": [preds[s.id][0]]}
        for n, s in enumerate(samples)
    ]  # fmt: skip
    log.write_text("".join(json.dumps(line) + "\n" for line in lines))
    a = score_predictions("pixmo_mme", by_id, data=hub_dir, out=tmp_path / "a", write_report=False)
    b = score_predictions("pixmo_mme", log, data=hub_dir, out=tmp_path / "b", write_report=False)
    # the failure's reason is each file's own ("timeout" vs "no response in the lmms-eval log")
    assert a.tasks["pixmo_mme"].model_dump(exclude={"failure_reasons"}) == b.tasks["pixmo_mme"].model_dump(
        exclude={"failure_reasons"}
    )
    assert a.tasks["pixmo_mme"].failure_reasons == {"timeout": 1}
    assert b.tasks["pixmo_mme"].failure_reasons == {"no response in the lmms-eval log": 1}
    assert a.tasks["pixmo_mme"].n_failed == 1


def test_language_configs_win_and_several_configs_are_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """lmms-lab/MMBench also has ``cc`` (CCBench, no language): en and cn are read, cc left aside.
    lmms-lab/ScienceQA has two configurations of one language: an error names them, -T config picks."""
    _, hub_dir = _write_both(tmp_path, "mmbench")
    _write_parquet(hub_dir / "cc" / "dev-00000-of-00001.parquet", mmbench_layout(mcq_rows("zh", 1, False)))
    langs = {s.lang for s in get_task("mmbench").load(LoadOptions(data=hub_dir))}
    assert langs == {"en", "zh"}
    tsv_dir, sqa = _write_both(tmp_path / "sqa", "scienceqa")
    full = scienceqa_layout(mcq_rows("en", 2, circular=False))
    _write_parquet(sqa / "ScienceQA-FULL" / "test-00000-of-00001.parquet", full)
    task = get_task("pixmo_scienceqa")
    with pytest.raises(DataError, match=r"ScienceQA-FULL, ScienceQA-IMG.*-T config=ScienceQA-IMG"):
        list(task.load(LoadOptions(data=sqa)))
    picked = list(task.load(LoadOptions(data=sqa, extra={"config": "ScienceQA-IMG"})))
    assert [_view(s) for s in picked] == [_view(s) for s in task.load(LoadOptions(data=tsv_dir))]
    cache = tmp_path / "hf_cache"
    shards = {f"{c}/test-00000-of-00001.parquet": sqa / c / "test-00000-of-00001.parquet"
              for c in ("ScienceQA-FULL", "ScienceQA-IMG")}  # fmt: skip
    _cache_dataset(cache, "lmms-lab/ScienceQA", shards)
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    by_folder = list(task.load(LoadOptions(data=Path("lmms-lab/ScienceQA/ScienceQA-IMG"))))
    assert [_view(s) for s in by_folder] == [_view(s) for s in picked]
    with pytest.raises(DataError, match="has no 'ScienceQA-XYZ'"):
        list(task.load(LoadOptions(data=Path("lmms-lab/ScienceQA/ScienceQA-XYZ"))))
