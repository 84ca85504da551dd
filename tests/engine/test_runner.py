"""run_eval end to end on the generic task with the mock backend: outputs, resume, failures, bad input."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from babelvlm.engine.runner import EvalConfig, run_eval
from babelvlm.errors import DataError, UnknownNameError
from babelvlm.models.mock import MockModel
from babelvlm.schema import Output, Request


class CountingMock(MockModel):
    """The real mock backend, recording every request key it is sent."""

    def __init__(self, mode: str = "answer", **kw: float) -> None:
        super().__init__(mode, **kw)  # type: ignore[arg-type]
        self.sent: list[str] = []

    def generate(self, requests: list[Request]) -> list[Output]:
        self.sent.extend(r.key for r in requests)
        return super().generate(requests)


def _config(data: Path, out: Path, **kw: object) -> EvalConfig:
    base: dict[str, object] = {
        "model": "mock:answer",
        "tasks": ["jsonl"],
        "data": data,
        "out": out,
        "progress": False,
        "write_report": False,
    }
    base.update(kw)
    return EvalConfig(**base)  # type: ignore[arg-type]


def test_writes_results_samples_and_store(jsonl_task: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    result = run_eval(_config(jsonl_task, out))
    res = result.tasks["jsonl"]
    assert res.scores["exact_match"] == 1.0
    assert res.scores["vqa_accuracy"] == pytest.approx(
        1 / 6
    )  # 1 of 2 references: mean of min(1, 1/3) and 0 over leave-one-out sets
    assert set(res.by_language) == {"en", "fr", "de"} and res.n_samples == 12 and res.n_failed == 0
    assert res.matrix["fr"]["en"]["exact_match"] == 1.0 and res.matrix_axes == ["lang", "image_lang"]
    saved = json.loads((out / "results.json").read_text())
    assert saved["schema_version"] == "1.0" and saved["tasks"]["jsonl"]["n_samples"] == 12
    lines = [json.loads(x) for x in (out / "samples.jsonl").read_text().splitlines()]
    assert [x["sample_id"] for x in lines] == [f"q{i}" for i in range(12)]
    assert {"prompt", "references", "scores", "prediction", "error", "detected_lang"} <= set(lines[0])
    assert lines[3]["prediction"] == "3" and lines[3]["references"] == ["3", "number 3"]
    assert (out / "store.sqlite").is_file()


def test_rerun_sends_nothing(jsonl_task: Path, tmp_path: Path) -> None:
    first, second = CountingMock(), CountingMock()
    r1 = run_eval(_config(jsonl_task, tmp_path / "run"), model=first)
    r2 = run_eval(_config(jsonl_task, tmp_path / "run"), model=second)
    assert len(first.sent) == 12 and second.sent == []
    assert r1.tasks == r2.tasks


def test_echo_scores_zero_and_limits_spread_over_languages(jsonl_task: Path, tmp_path: Path) -> None:
    result = run_eval(_config(jsonl_task, tmp_path / "run", model="mock:echo", limit=6))
    res = result.tasks["jsonl"]
    assert res.scores["exact_match"] == 0.0 and res.n_samples == 6
    assert {lang: 1 for lang in res.by_language} == {"en": 1, "fr": 1, "de": 1}


def test_langs_filter(jsonl_task: Path, tmp_path: Path) -> None:
    res = run_eval(_config(jsonl_task, tmp_path / "run", langs=["fr"])).tasks["jsonl"]
    assert list(res.by_language) == ["fr"] and res.n_samples == 4


def test_failures_are_stored_excluded_counted_and_retried(jsonl_task: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    model = CountingMock(fail_rate=0.3, seed=3)
    res = run_eval(_config(jsonl_task, out), model=model).tasks["jsonl"]
    assert res.n_failed > 0 and res.scores["exact_match"] == 1.0  # failures excluded, not scored 0
    with sqlite3.connect(out / "store.sqlite") as db:
        n_logged = db.execute("SELECT COUNT(*) FROM failures").fetchone()[0]
    assert n_logged == res.n_failed
    assert json.loads((out / "results.json").read_text())["tasks"]["jsonl"]["n_failed"] == res.n_failed
    failed_before = res.n_failed
    retry = CountingMock(fail_rate=0.3, seed=3)
    res2 = run_eval(_config(jsonl_task, out), model=retry).tasks["jsonl"]
    assert len(retry.sent) == failed_before  # only the failures are sent again
    assert res2.n_failed < failed_before
    lines = [json.loads(x) for x in (out / "samples.jsonl").read_text().splitlines()]
    assert sum(x["error"] is not None for x in lines) == res2.n_failed
    assert json.loads((out / "results.json").read_text())["tasks"]["jsonl"]["n_failed"] == res2.n_failed


def test_concurrency_gives_identical_results(jsonl_task: Path, tmp_path: Path) -> None:
    serial = run_eval(_config(jsonl_task, tmp_path / "a", model_options={"batch_size": "1"}))
    threaded = run_eval(_config(jsonl_task, tmp_path / "b", model_options={"batch_size": "2"}, concurrency=4))
    assert serial.tasks == threaded.tasks


def test_bad_row_stops_the_run_before_anything_is_created(jsonl_task: Path, tmp_path: Path) -> None:
    rows = jsonl_task.read_text().splitlines()
    rows.insert(8, '{"id": "broken", "question": ')
    jsonl_task.write_text("\n".join(rows) + "\n")
    out = tmp_path / "run"
    model = CountingMock()
    with pytest.raises(DataError, match=r"data.jsonl row 9: is not valid JSON"):
        run_eval(_config(jsonl_task, out), model=model)
    assert model.sent == [] and not out.exists()  # found while loading: no request, no run directory
    resumed = CountingMock()
    res = run_eval(_config(jsonl_task, out, skip_bad_rows=True), model=resumed).tasks["jsonl"]
    assert len(resumed.sent) == 12 and res.n_samples == 12 and res.n_skipped_rows == 1
    saved = json.loads((out / "results.json").read_text())["tasks"]["jsonl"]
    assert saved["n_skipped_rows"] == 1


def test_unreadable_image_is_a_data_error_or_a_counted_failure(jsonl_task: Path, tmp_path: Path) -> None:
    (jsonl_task.parent / "img" / "5.png").write_bytes(b"not a png")
    with pytest.raises(DataError, match=r"row 6 field 'image'"):
        run_eval(_config(jsonl_task, tmp_path / "a"))
    res = run_eval(_config(jsonl_task, tmp_path / "b", skip_bad_rows=True)).tasks["jsonl"]
    assert res.n_samples == 12 and res.n_failed == 1


def test_pixel_limit(jsonl_task: Path, tmp_path: Path) -> None:
    with pytest.raises(DataError, match="over the limit of 63"):
        run_eval(_config(jsonl_task, tmp_path / "a", max_pixels=63))


@pytest.mark.parametrize(
    ("kw", "needle"),
    [
        ({"langs": ["xx"]}, "unknown language code 'xx'"),
        ({"model": "gpt:foo"}, "unknown model provider"),
        ({"tasks": ["nosuch"]}, "unknown task 'nosuch'"),
    ],
)
def test_unknown_names(jsonl_task: Path, tmp_path: Path, kw: dict[str, object], needle: str) -> None:
    with pytest.raises(UnknownNameError, match=needle):
        run_eval(_config(jsonl_task, tmp_path / "a", **kw))


def test_missing_data_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"nope.jsonl: file not found"):
        run_eval(_config(tmp_path / "nope.jsonl", tmp_path / "a"))


def test_bad_image_with_threads_still_stores_the_batches_in_flight(jsonl_task: Path, tmp_path: Path) -> None:
    (jsonl_task.parent / "img" / "10.png").write_bytes(b"not a png")  # found when its request is built
    out = tmp_path / "run"
    model = CountingMock(delay=0.05, max_concurrency=4)
    with pytest.raises(DataError, match="row 11"):
        run_eval(_config(jsonl_task, out), model=model)
    with sqlite3.connect(out / "store.sqlite") as db:
        stored = db.execute("SELECT COUNT(*) FROM outputs").fetchone()[0]
    assert stored == len(model.sent) == 10


def test_generative_task_gets_detected_languages_and_fidelity(
    jsonl_task: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dataclasses import replace

    from babelvlm.tasks import registry
    from babelvlm.tasks.generic import JsonlTask

    task = JsonlTask()
    task.info = replace(task.info, name="jsonl_gen", generative=True)
    monkeypatch.setattr(registry, "_cache", {**registry.all_tasks(), "jsonl_gen": task})
    text = "Le chat noir dort tranquillement sur le canapé du salon."
    out = tmp_path / "run"
    res = run_eval(
        _config(jsonl_task, out, tasks=["jsonl_gen"], model="mock:constant", model_options={"text": text})
    ).tasks["jsonl_gen"]
    assert res.fidelity["overall"] == pytest.approx(4 / 12) and res.fidelity["n"] == 12
    assert res.fidelity["by_language"]["fr"]["fidelity"] == 1.0
    lines = [json.loads(x) for x in (out / "samples.jsonl").read_text().splitlines()]
    assert {x["detected_lang"] for x in lines} == {"fr"}
