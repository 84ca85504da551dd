"""Training data readers and their errors (file, row, field, fix) before any training starts."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from tiny_models import png

from babelvlm.errors import ConfigError, DataError
from babelvlm.train.data import read_conversations, read_parallel


def _write(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    return path


def test_llava_rows_keep_roles_images_and_text_only_rows(llava_data: Path) -> None:
    conversations = read_conversations(str(llava_data))
    assert len(conversations) == 8
    first = conversations[0]
    assert [t.role for t in first.turns] == ["user", "assistant"]
    assert first.turns[0].text.startswith("<image>") and len(first.images) == 1
    assert conversations[2].images == [] and "<image>" not in conversations[2].turns[0].text


def test_placeholder_is_added_when_llava_row_has_none(tmp_path: Path) -> None:
    (tmp_path / "a.png").write_bytes(png((1, 2, 3)))
    row = {
        "image": "a.png",
        "conversations": [{"from": "human", "value": "Q?"}, {"from": "gpt", "value": "A"}],
    }
    conversation = read_conversations(str(_write(tmp_path / "d.jsonl", [row])))[0]
    assert conversation.turns[0].text == "<image>\nQ?"


def test_parquet_with_hf_image_structs_and_messages(tmp_path: Path) -> None:
    table = pa.table(
        {
            "messages": [[{"role": "user", "content": "<image>Q?"}, {"role": "assistant", "content": "A"}]],
            "images": [[{"bytes": png((9, 9, 9)), "path": None}]],
        }
    )
    pq.write_table(table, tmp_path / "d.parquet")
    conversation = read_conversations(str(tmp_path / "d.parquet"))[0]
    assert conversation.images[0].data is not None and conversation.turns[1].text == "A"


@pytest.mark.parametrize(
    ("row", "field", "message"),
    [
        ({"conversations": [{"from": "human", "value": "Q?"}]}, "conversations", "no assistant turn"),
        ({"image": "gone.png", "conversations": []}, "conversations", "missing or empty"),
        (
            {
                "image": "gone.png",
                "conversations": [{"from": "human", "value": "Q"}, {"from": "gpt", "value": "A"}],
            },
            "image",
            "not found",
        ),
        (
            {
                "image": "bad.png",
                "conversations": [{"from": "human", "value": "Q"}, {"from": "gpt", "value": "A"}],
            },
            "image",
            "",
        ),
    ],
)
def test_bad_rows_name_file_row_field_and_fix(
    tmp_path: Path, row: dict[str, object], field: str, message: str
) -> None:
    (tmp_path / "bad.png").write_bytes(b"not an image")
    good = {"conversations": [{"from": "human", "value": "Q"}, {"from": "gpt", "value": "A"}]}
    path = _write(tmp_path / "d.jsonl", [good, row])
    with pytest.raises(DataError) as info:
        read_conversations(str(path))
    text = str(info.value)
    assert "d.jsonl" in text and "row 2" in text and field in text and message in text and "fix" in text


def test_xtvqa_rows_become_parallel_items(xtvqa_data: Path) -> None:
    items = read_parallel(str(xtvqa_data), None)
    assert len(items) == 4 and (items[0].src, items[0].tgt) == ("en", "fr")
    assert items[0].answer == {"en": "Yes", "fr": "quarante-cinq euros"}
    assert len(read_conversations(str(xtvqa_data))) == 8  # one conversation per question language


def test_mvcl_mi_data_without_a_parallel_question_is_refused(tmp_path: Path) -> None:
    (tmp_path / "x.png").write_bytes(png((5, 5, 5)))
    row = {"image": "x.png", "question_en": "Q?", "answers": ["A"], "source_lang": "en"}
    with pytest.raises(DataError, match=r"row 1.*question_<tgt>.*fix"):
        read_parallel(str(_write(tmp_path / "x.jsonl", [row])), None)
    with pytest.raises(DataError, match=r"question_de"):
        read_parallel(str(_write(tmp_path / "y.jsonl", [{**row, "question_fr": "Q ?"}])), ["de"])


def test_babeltext_samples_as_training_data(tmp_path: Path) -> None:
    conversations = read_conversations(f"task:babeltext?seed=7&scenes=2&langs=en,fr&data={tmp_path}")
    assert conversations and all(c.turns[1].role == "assistant" and c.images for c in conversations)
    items = read_parallel(f"task:babeltext?seed=7&scenes=2&langs=en,fr&data={tmp_path}", None)
    assert items and all(item.src != item.tgt for item in items)
    with pytest.raises(ConfigError, match="evaluation"):
        read_conversations("task:babeltext?scenes=2")
