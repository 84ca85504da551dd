"""XPaperQA by question type x paper language x question language (the XT-VQA paper's Table 3 layout),
checked by hand."""

from __future__ import annotations

import pytest

from babelvlm.schema import SampleScore
from babelvlm.tasks.xtvqa import TASKS

TASK = TASKS[0]


def _s(kind: str, paper: str, question: str, value: float, dataset: str = "xpaperqa") -> SampleScore:
    return SampleScore(f"{kind}{paper}{question}{value}", "xtvqa", question, "p", {"score": value},
                       image_lang=paper, meta={"dataset": dataset, "answer_type": kind})  # fmt: skip


def test_question_type_by_paper_and_question_language() -> None:
    scored = [
        _s("extractive", "en", "en", 0.6), _s("extractive", "en", "en", 0.2),
        _s("extractive", "en", "zh", 0.1),
        _s("yes-no", "en", "en", 1.0), _s("yes-no", "zh", "zh", 0.0), _s("abstractive", "zh", "en", 0.3),
        _s("extractive", "en", "en", 1.0, dataset="textvqa"),  # other datasets stay out of the table
        SampleScore("f", "xtvqa", "en", None, {}, image_lang="en", error="boom",
                    meta={"dataset": "xpaperqa", "answer_type": "yes-no"}),
    ]  # fmt: skip
    table = TASK.aggregate(scored, len(scored)).extra["breakdowns"]["xpaperqa"]
    assert table["rows"] == "question type" and table["metrics"] == ["score"]
    cells = table["table"]
    assert cells["extractive"]["en paper / en question"] == {"n": 2.0, "score": pytest.approx(0.4)}
    assert cells["extractive"]["en paper / zh question"]["score"] == pytest.approx(0.1)
    assert cells["yes-no"]["en paper / en question"] == {"n": 1.0, "score": 1.0}
    assert cells["abstractive"]["zh paper / en question"]["score"] == pytest.approx(0.3)
    assert cells["overall"]["en paper / en question"] == {"n": 3.0, "score": pytest.approx(0.6)}
