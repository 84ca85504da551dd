"""The organism's training data: LLaVA conversation JSONL from the task with a training seed."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from babelvlm.errors import ConfigError
from babelvlm.experiments.organism import data


@pytest.fixture(autouse=True)
def _cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BABELVLM_CACHE_DIR", str(tmp_path / "cache"))


def _rows(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_english_only_rows_are_llava_conversations_with_images_beside_them(tmp_path: Path) -> None:
    path = data.write_llava_jsonl(tmp_path / "a", seed=7, scenes=4, en_share=1.0)
    rows = _rows(path)
    assert len(rows) == 4 * 5 and {r["lang"] for r in rows} == {"en"}
    first = rows[0]
    turns = first["conversations"]
    assert isinstance(turns, list) and [t["from"] for t in turns] == ["human", "gpt"]
    assert turns[0]["value"].startswith("<image>\n") and turns[1]["value"]
    assert all((path.parent / str(r["image"])).is_file() for r in rows)
    assert Counter(r["qtype"] for r in rows) == Counter(
        {q: 4 for q in ("colour", "shape", "position", "count", "digit")}
    )


def test_ninety_ten_mixes_other_languages_with_their_own_answers(tmp_path: Path) -> None:
    rows = _rows(data.write_llava_jsonl(tmp_path / "b", seed=7, scenes=40, en_share=0.9))
    share_en = sum(r["lang"] == "en" for r in rows) / len(rows)
    assert 0.8 < share_en < 0.97
    english = {r["id"].rsplit("-", 1)[0]: r for r in _rows(data.write_llava_jsonl(tmp_path / "c", 7, 40))}
    other = [r for r in rows if r["lang"] != "en"]
    assert other and all(
        r["conversations"][1]["value"] != english[r["id"].rsplit("-", 1)[0]]["conversations"][1]["value"]
        for r in other
    )


def test_training_never_uses_the_evaluation_seed_and_shares_are_checked(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="evaluation"):
        data.task_samples(seed=data.EVAL_SEED, scenes=2)
    with pytest.raises(ConfigError, match="en_share"):
        data.choose_languages([0, 1], ["en", "fr"], 1.5, seed=1)
    with pytest.raises(ConfigError, match="other than en"):
        data.choose_languages([0, 1], ["en"], 0.5, seed=1)


def test_train_and_eval_scenes_differ() -> None:
    train = {
        (s.meta["qtype"], s.meta["concept"], s.images[0].read_bytes())
        for s in data.task_samples(7, 3, ["en"])
    }
    from babelvlm.tasks.base import LoadOptions
    from babelvlm.tasks.registry import get_task

    options = LoadOptions(seed=0, langs=["en"], extra={"scenes": "3"})
    evaluation = {
        (s.meta["qtype"], s.meta["concept"], s.images[0].read_bytes())
        for s in get_task("organism").load(options)
    }
    assert not train & evaluation


def test_parallel_rows_are_what_mvcl_mi_reads(tmp_path: Path) -> None:
    """The XT-VQA rows go through ``babelvlm train``'s own reader: English source, each language a target."""
    pytest.importorskip("babelvlm.train.data")
    from babelvlm.train.data import read_conversations, read_parallel

    path = data.write_parallel_jsonl(
        tmp_path / "p", seed=7, scenes=2, langs=["en", "fr", "ja"], qtypes=["colour"]
    )
    items = read_parallel(str(path), None)
    assert len(items) == 2 * 2 and {(i.src, i.tgt) for i in items} == {("en", "fr"), ("en", "ja")}
    item = items[0]
    assert item.answer["fr"] != item.answer["en"] != item.answer["ja"] and item.image is not None
    assert len(read_conversations(str(path))) == 2 * 3
    with pytest.raises(ConfigError):
        data.write_parallel_jsonl(tmp_path / "q", seed=7, scenes=1, langs=["fr"])
