"""The builder framework: counted steps, reasons, rejects, skipped models, shards and resume."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

from toy_pipeline import toy_inputs, toy_steps

from babelvlm.builders.run import RunOptions, run_pipeline, skipped_lines


def test_stats_add_up_rejects_and_skips_are_recorded(tmp_path: Path) -> None:
    out = tmp_path / "out"
    stats = run_pipeline(toy_steps(toy_inputs(tmp_path), out), out, RunOptions(tasks=2))
    rows = {r["name"]: r for r in stats["steps"]}
    assert rows["read_numbers"] == {
        "name": "read_numbers",
        "unit": "records",
        "in": 39,
        "kept": 36,
        "dropped": {"not a number": 3},
    }
    assert rows["even"]["kept"] == 18 and rows["even"]["dropped"] == {"odd": 18}
    assert rows["size"]["unit"] == "images" and rows["size"]["dropped"]["size<1"] == rows["size"]["in"] // 2
    assert rows["needs_model"]["skipped"] == "no model given" and rows["needs_model"]["kept"] == 18
    assert rows["twice"]["out"] == 2 * rows["twice"]["kept"] and rows["twice"]["dropped"] == {"zero": 1}
    assert rows["write"]["in"] == rows["twice"]["out"]
    for row in stats["steps"]:
        assert row["in"] == row["kept"] + sum(row["dropped"].values())
    assert skipped_lines(stats) == ["SKIPPED (model not available) needs_model: no model given"]
    rejects = [json.loads(x) for p in sorted((out / "rejects").glob("*.jsonl")) for x in p.open()]
    assert sum(r["reason"] == "odd" for r in rejects) == 18
    assert all(r["url"] == "u0" for r in rejects if r["reason"] == "size<1")
    with tarfile.open(out / "shards" / "00000.tar") as tar:
        names = tar.getnames()
    assert names[0].endswith("-0.json") and len(names) == 2 * 6 * 2 - 2  # shard 0 = files 0 and 2


def test_relaunch_skips_finished_shards_and_gives_the_same_output(tmp_path: Path) -> None:
    inputs = toy_inputs(tmp_path)
    first = run_pipeline(toy_steps(inputs, tmp_path / "a"), tmp_path / "a", RunOptions(tasks=3))
    (tmp_path / "a" / "logs" / "completions" / "00001").unlink()  # as if shard 1 had been killed
    inputs[0].write_text("999\n")  # a finished shard is not read again
    again = run_pipeline(toy_steps(inputs, tmp_path / "a"), tmp_path / "a", RunOptions(tasks=3))
    assert again == first
