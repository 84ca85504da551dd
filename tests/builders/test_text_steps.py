"""Text steps of the web-corpus builder at their thresholds (LLM-jp-3 VILA section 3.1, appendix A.2)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from step_harness import image_doc, run_step, text_doc

from babelvlm.builders.steps import Step
from babelvlm.builders.text_steps import (
    AdultText,
    AltMinLength,
    AltPlaceholder,
    AltScreenshotName,
    AltScript,
    DocumentShape,
    NormaliseWhitespace,
    SplitSentences,
    TokenLength,
    bunkai_rules,
    script_class,
)
from babelvlm.errors import ConfigError

CASES = json.loads(
    (Path(__file__).parents[1] / "data" / "builders" / "alt_text_cases.json").read_text("utf-8")
)
STEPS = {
    "alt_script": AltScript,
    "alt_min_length": AltMinLength,
    "alt_placeholder": AltPlaceholder,
    "alt_screenshot_name": AltScreenshotName,
    "adult_text": AdultText,
}


@pytest.mark.parametrize("step_name", sorted(STEPS))
def test_alt_text_golden_cases(step_name: str) -> None:
    step: Step = STEPS[step_name]()
    for text, expected in CASES[step_name]:
        assert step.check(text_doc(text)) == expected, (step_name, text)  # type: ignore[attr-defined]


def test_script_table_has_rows_per_language() -> None:
    assert AltScript("ko").check(text_doc("한국어")) is None
    assert AltScript("ru").check(text_doc("abc")) == "no ru script"
    with pytest.raises(ConfigError, match=r"scripts\.json"):
        script_class("xx")


def test_bunkai_rules_join_symbols_and_move_closing_brackets() -> None:
    assert bunkai_rules(["今日は晴れ。", "！！！", "」と言った。", "(2)"]) == [
        "今日は晴れ。！！！」",
        "と言った。",
        "(2)",
    ]
    assert bunkai_rules(["・・・", "本文。"]) == ["・・・", "本文。"]


def test_split_sentences_keeps_block_starts_and_drops_empty() -> None:
    out, counts = run_step(SplitSentences("ja"), [text_doc("一つ。二つ。\n三つ。"), text_doc("")])
    assert out[0].metadata["sentences"] == ["一つ。", "二つ。", "三つ。"]
    assert out[0].metadata["block_starts"] == [0, 2]
    assert counts == {"in": 2, "kept": 1, "dropped/no sentences": 1}


def test_whitespace_normalisation() -> None:
    out, counts = run_step(
        NormaliseWhitespace(), [text_doc("  東京\u3000\u3000タワー \n 夜景 "), text_doc("   ")]
    )
    assert out[0].text == "東京 タワー 夜景"
    assert counts["dropped/empty"] == 1


@pytest.mark.parametrize(
    ("n_images", "n_sentences", "reason"),
    [
        (1, 50, "images<2"),
        (2, 50, None),
        (5, 50, None),
        (6, 50, "images>5"),
        (3, 9, "sentences<10"),
        (3, 10, None),
        (3, 100, None),
        (3, 101, "sentences>100"),
    ],
)
def test_document_shape_bounds(n_images: int, n_sentences: int, reason: str | None) -> None:
    doc = image_doc(*[(200, 200)] * n_images)
    doc.metadata["sentences"] = ["文。"] * n_sentences
    assert DocumentShape().check(doc) == reason


def test_token_length_without_tokenizer_is_skipped_loudly() -> None:
    out, counts = run_step(TokenLength(), [text_doc("a")])
    assert len(out) == 1 and counts["skipped/no tokenizer given (--tokenizer DIR)"] == 1


def test_token_length_at_the_limit(tmp_path: Path) -> None:
    import sys

    sys.path.insert(0, str(Path(__file__).parents[1] / "models"))
    from tiny_vlm import build_tokenizer

    tokenizer = build_tokenizer()
    tokenizer.save_pretrained(tmp_path)  # type: ignore[attr-defined]
    doc = text_doc("the cat sat on the mat")
    n = len(tokenizer(doc.text)["input_ids"])  # type: ignore[operator]
    assert TokenLength(str(tmp_path), max_tokens=n).check(doc) is None
    assert TokenLength(str(tmp_path), max_tokens=n - 1).check(doc) == f"tokens>{n - 1}"
    with_images = image_doc((200, 200), (200, 200))
    with_images.text = doc.text
    assert TokenLength(str(tmp_path), max_tokens=n + 2, image_tokens=1).check(with_images) is None
    assert TokenLength(str(tmp_path), max_tokens=n + 1, image_tokens=1).check(with_images) is not None


def test_document_language() -> None:
    from babelvlm.builders.text_steps import DocumentLanguage

    assert DocumentLanguage("ja").check(text_doc("東京タワーは東京都港区にある電波塔です。")) is None
    assert DocumentLanguage("ja").check(text_doc("The tower stands in Minato, Tokyo.")) == "language en"
    assert DocumentLanguage("ja").check(text_doc("12345")) == "language unknown"
