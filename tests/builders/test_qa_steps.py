"""XPaperQA's pure parts: JSON answer parsing (golden cases), the filters' thresholds (seed 001 eq. 2, 3),
the yes/no balance, and the appendix prompts as data."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from babelvlm.builders.qa_filters import (
    balance_yes_no,
    confidence_reason,
    consistency_reason,
    jaccard,
    near_duplicate_reason,
    question_tokens,
)
from babelvlm.builders.qa_json import parse_qa_text
from babelvlm.builders.xpaperqa_steps import QA_TYPES, generation_prompt, prompt_languages, reanswer_prompt

CASES = json.loads((Path(__file__).resolve().parents[1] / "data" / "xpaperqa_qa_parse.json").read_text())[
    "cases"
]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_parse_golden_cases(case: dict[str, Any]) -> None:
    kept, problems = parse_qa_text(case["text"])
    assert [[q.question, q.answer, q.confidence] for q in kept] == case["kept"]
    assert problems == case["problems"]


def test_confidence_threshold_is_seven() -> None:
    assert confidence_reason(7) is None and confidence_reason(6) == "confidence < 7"


def test_jaccard_eq2_and_the_01_threshold() -> None:
    a, b = question_tokens("Does the model use images?", "en"), question_tokens("Is speech data used?", "en")
    assert jaccard(a, a) == 1.0 and jaccard(a, b) == 0.0
    assert jaccard(frozenset("abcdefghij"), frozenset("a")) == pytest.approx(0.1)
    assert near_duplicate_reason(frozenset("abcdefghij"), [frozenset("a")]) is None  # 0.1 is not > 0.1
    assert near_duplicate_reason(frozenset("abcdefghi"), [frozenset("a")]) is not None


def test_consistency_by_yes_no_and_edit_distance() -> None:
    assert consistency_reason("yes-no", "yes", "Yes, it does.", "en") is None
    assert consistency_reason("yes-no", "是", "否", "zh") == "inconsistent: the re-answer flips yes/no"
    assert consistency_reason("extractive", "five points", "Five points.", "en") is None
    assert consistency_reason("extractive", "XQA", "the MLQA suite", "en") is not None


def test_balance_keeps_the_first_of_each_side() -> None:
    assert balance_yes_no(["yes", "yes", "no", None, "yes", "no"]) == [True, True, True, False, False, True]


def test_appendix_prompts_fill_content_and_question() -> None:
    assert set(prompt_languages()) == {"en", "zh"}
    for kind in QA_TYPES:
        for lang in ("en", "zh"):
            prompt = generation_prompt(kind, lang, "PAGE TEXT")
            assert prompt.endswith("PAGE TEXT") and "{{" not in prompt
            again = reanswer_prompt(kind, lang, "PAGE TEXT", "THE QUESTION")
            assert again.endswith("THE QUESTION") and "PAGE TEXT" in again


def test_judge_mode_asks_the_consistency_prompt(tmp_path: Path) -> None:
    from datatrove.data import Document

    from babelvlm.builders.xpaperqa_filters import ReanswerCheck, judge_reason
    from babelvlm.builders.xpaperqa_steps import ModelRef, consistency_prompt

    assert consistency_prompt("en", "{A} {B}").endswith("as follows:{A} {B}")
    assert judge_reason("consistent") is None and judge_reason("不一致") == "inconsistent: the judge says so"
    assert judge_reason("maybe") == "consistency judge answer is unclear" and judge_reason(None) is not None

    def reply(question: str, answer: str, field: str, score: int) -> str:
        return json.dumps({"question": question, "answer": answer, field: score})

    rules = [
        {"contains": ["My questions are as follows: Q1"], "reply": reply("Q1", "b", "confidence", 8)},
        {"contains": ["My questions are as follows: Q2"], "reply": reply("Q2", "c", "confidence", 8)},
        {
            "contains": ["basically consistent", '"answer": "b"'],
            "reply": reply("Q1", "consistent", "score", 9),
        },
        {
            "contains": ["basically consistent", '"answer": "c"'],
            "reply": reply("Q2", "inconsistent", "score", 2),
        },
    ]
    (tmp_path / "rules.json").write_text(json.dumps(rules))
    model = ModelRef("mock:script", (("file", str(tmp_path / "rules.json")),), str(tmp_path / "store.sqlite"))
    meta = {"answer_type": "abstractive", "lang": "en", "content": "page", "answer": "a", "confidence": 9}
    docs = [Document("", f"d{i}", metadata={**meta, "question": f"Q{i}"}) for i in (1, 2, 3)]
    verdicts = ReanswerCheck(model, judge=True).check_batch(docs)
    assert verdicts == [None, "inconsistent: the judge says so", "re-answer failed"]
