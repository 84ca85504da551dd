"""``build instructions``: LLaVA JSONL from caption, VQA and image rows, generated through the run store
(resume, failures recorded and counted), with ``mock:`` backends."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from step_harness import image_bytes
from typer.testing import CliRunner

from babelvlm.builders.instructions import InstructionConfig, build_instructions, parse_qa
from babelvlm.cli import app
from babelvlm.engine.store import RunStore
from babelvlm.models.registry import load_model

ANSWER = (
    "Q:\n赤い車は何台ありますか？\nA:\n2台あります。\n===\n"
    "Q:\n人は何をしていますか？\nA:\n道を渡っています。\n==="
)


def _input(tmp_path: Path) -> Path:
    (tmp_path / "img").mkdir()
    (tmp_path / "img" / "a.png").write_bytes(image_bytes(64, 64))
    (tmp_path / "img" / "b.png").write_bytes(image_bytes(64, 48, (200, 20, 20)))
    rows = [
        {
            "id": "c1",
            "image": "img/a.png",
            "captions": ["A street with two red cars."],
            "boxes": [{"label": "car", "bbox": [0.1, 0.2, 0.3, 0.4]}],
        },
        {"id": "c2", "image": "img/b.png", "captions": ["A person crossing the road."]},
        {
            "id": "v1",
            "image": "img/a.png",
            "qa": [{"question": "車の色は？", "answer": "赤"}, {"question": "何台？", "answer": "2台"}],
        },
        {"id": "p1", "image": "img/b.png"},
        {"id": "e1", "image": "eval/held_out.jpg", "qa": [{"question": "q", "answer": "a"}]},
        {"id": "bad", "image": "img/a.png", "captions": []},
    ]
    path = tmp_path / "rows.jsonl"
    path.write_text(
        "\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\nnot json\n", encoding="utf-8"
    )
    return path


def _check_llava(path: Path) -> list[dict]:
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    for rec in records:
        assert {"id", "image", "conversations"} <= set(rec)
        turns = rec["conversations"]
        assert len(turns) >= 2 and len(turns) % 2 == 0
        assert [t["from"] for t in turns] == ["human", "gpt"] * (len(turns) // 2)
        assert turns[0]["value"].startswith("<image>\n") and all(t["value"] for t in turns)
    return records


def test_mock_generation_gives_llava_jsonl_and_stats_that_add_up(tmp_path: Path) -> None:
    model = load_model("mock:constant", {"text": ANSWER})
    config = InstructionConfig(exclude=frozenset({"held_out.jpg"}))
    stats = build_instructions(_input(tmp_path), model, tmp_path / "out", config)
    rows = {r["name"]: r for r in stats["steps"]}
    assert rows["read"] == {
        "name": "read",
        "unit": "rows",
        "in": 7,
        "kept": 4,
        "dropped": {"bad json line": 1, "empty captions": 1, "evaluation image excluded": 1},
    }
    assert rows["generate"]["in"] == 2 * 3 + 1 and rows["parse"]["kept"] == 7 and rows["write"]["in"] == 8
    for row in stats["steps"]:
        assert row["in"] == row["kept"] + sum(row["dropped"].values())
    records = {r["id"]: r for r in _check_llava(tmp_path / "out" / "instructions.jsonl")}
    assert len(records["c1-conversation"]["conversations"]) == 4
    assert len(records["c1-complex"]["conversations"]) == 2
    detail = records["c2-detail"]["conversations"]
    assert detail[0]["value"].removeprefix("<image>\n") in (
        "この画像を詳しく説明してください。",
        "この写真に写っているものを詳しく説明してください。",
        "画像の内容を詳細に記述してください。",
    )
    vqa = records["v1-vqa"]["conversations"]
    assert (
        vqa[0]["value"] == "<image>\n車の色は？\n語句または短い文で答えてください。"
        and vqa[2]["value"] == "何台？"
    )
    assert records["p1-image_qa"]["type"] == "image_qa"
    for rec in records.values():  # image paths are relative to the output file
        assert (
            rec["id"] == "v1-vqa" or rec["id"].startswith("e1") or (tmp_path / "out" / rec["image"]).is_file()
        )


def test_failures_are_recorded_and_a_rerun_sends_only_them(tmp_path: Path) -> None:
    path = _input(tmp_path)
    out = tmp_path / "out"
    flaky = load_model("mock:constant", {"text": ANSWER, "fail_rate": "0.5", "seed": "3"})
    first = build_instructions(path, flaky, out, InstructionConfig())
    failed = first["steps"][1]["dropped"]["generation failed"]
    assert 0 < failed < 7
    with RunStore(out / "store.sqlite") as store:
        assert store.counts() == {"done": 7 - failed, "failed": failed}
    steady = load_model("mock:constant", {"text": ANSWER})
    second = build_instructions(path, steady, out, InstructionConfig())
    assert second["steps"][1] == {"name": "generate", "unit": "requests", "in": 7, "kept": 7, "dropped": {}}
    with RunStore(out / "store.sqlite") as store:
        attempts = store.attempts(store.done_keys())
    assert sorted(attempts.values()).count(2) == failed  # only the failed ones were sent again


def test_unparseable_answers_are_counted(tmp_path: Path) -> None:
    stats = build_instructions(
        _input(tmp_path),
        load_model("mock:constant", {"text": "I cannot see images."}),
        tmp_path / "o",
        InstructionConfig(types=("conversation",)),
    )
    assert stats["steps"][2]["dropped"] == {"answer not in Q:/A: format": 3}


def test_parse_qa_reads_table6_format() -> None:
    assert parse_qa("```\nQ:\nどこ？\nA:\n東京。\n===\nQ: いつ？\nA: 夜。\n```") == [
        ("どこ？", "東京。"),
        ("いつ？", "夜。"),
    ]
    assert parse_qa("no pairs here") == []


def test_cli(tmp_path: Path) -> None:
    path = _input(tmp_path)
    base = ["build", "instructions", "--input", str(path), "--generator", "mock:constant"]
    result = CliRunner().invoke(
        app, [*base, "-M", f"text={ANSWER}", "--out", str(tmp_path / "cli"), "--types", "detail"]
    )
    assert result.exit_code == 0, result.output
    records = _check_llava(tmp_path / "cli" / "instructions.jsonl")
    assert len(records) == 2 + 1 + 2  # detail x2, image QA, VQA x2 (nothing excluded here)
    bad = CliRunner().invoke(app, [*base, "--out", str(tmp_path / "x"), "--types", "poems"])
    assert bad.exit_code == 2 and "--types" in bad.output


@pytest.mark.slow
def test_demo_gguf_generation_parses(tmp_path: Path) -> None:
    pytest.importorskip("llama_cpp")
    from babelvlm.builders.backtranslation import smollm2_path

    gguf = smollm2_path()  # found by file, without importing the package (its own imports are not installed)
    model = load_model(f"llamacpp:{gguf}")
    stats = build_instructions(
        _input(tmp_path),
        model,
        tmp_path / "out",
        InstructionConfig(lang="en", types=("complex",), max_new_tokens=96),
    )
    for row in stats["steps"]:
        assert row["in"] == row["kept"] + sum(row["dropped"].values())
    _check_llava(tmp_path / "out" / "instructions.jsonl")
