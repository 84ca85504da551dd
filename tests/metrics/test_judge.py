"""LLM-as-a-judge: prompt filling, score parsing, failures recorded, Heron-Bench relative scores."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from babelvlm.errors import ModelError
from babelvlm.metrics.judge import (
    TABLE8_PROMPT,
    JudgeItem,
    Judgement,
    heron_relative_scores,
    judge_heron,
    judge_summary,
    judge_table8,
    parse_pair_scores,
    parse_score,
)
from babelvlm.models.base import ModelAPI
from babelvlm.models.mock import MockModel
from babelvlm.models.model_judge import ModelJudge
from babelvlm.schema import Output, Request


class ScriptedJudge(ModelAPI):
    """Test fake: answers by looking up a marker of the judged answer in the prompt."""

    name = "scripted"
    batch_size = 2

    def __init__(self, replies: dict[str, str | None], crash_on: str | None = None) -> None:
        self.replies, self.crash_on, self.prompts = replies, crash_on, []  # type: list[str]

    @property
    def fingerprint(self) -> str:
        return "scripted"

    def generate(self, requests: list[Request]) -> list[Output]:
        outputs = []
        for request in requests:
            self.prompts.append(request.prompt)
            assert request.temperature == 0.0
            if self.crash_on and self.crash_on in request.prompt:
                raise RuntimeError("server down")
            marker = next(m for m in self.replies if m in request.prompt)
            reply = self.replies[marker]
            outputs.append(Output(text=reply) if reply is not None else Output(error="timeout"))
        return outputs


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("STEP 1: fine.\nSTEP 2: Score: 4", 4),
        ("Score: **5**", 5),
        ("**Score:** 3", 3),
        ("Score: 2/5", 2),
        ("Score：3", 3),
        ("First Score: 2 ... corrected. Score: 4", 4),
        ("スコア: 5", 5),
        ("Score: 7", None),
        ("Score: 3.5", None),
        ("I would give it a four.", None),
        ("", None),
    ],
)
def test_parse_score(text: str, expected: int | None) -> None:
    assert parse_score(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("8 6\nAssistant 1 is better.", (8.0, 6.0)),
        ("\n 9, 7.5 \nreason", (9.0, 7.5)),
        ("**8 6**", (8.0, 6.0)),
        ("8/10 6/10", (8.0, 6.0)),
        ("Assistant 1: 8, Assistant 2: 6", None),
        ("11 6", None),
        ("8", None),
    ],
)
def test_parse_pair_scores(text: str, expected: tuple[float, float] | None) -> None:
    assert parse_pair_scores(text) == expected


def test_table8_fills_the_prompt_and_records_failures() -> None:
    items = [
        JudgeItem("q1", "車は何色ですか？", "白色", "ANSWER-ONE"),
        JudgeItem("q2", "何匹？", "2匹", "ANSWER-TWO"),
        JudgeItem("q3", "どこ？", "東京", "ANSWER-THREE"),
    ]
    judge = ScriptedJudge(
        {"ANSWER-ONE": "good\nScore: 5", "ANSWER-TWO": "no score here", "ANSWER-THREE": None}
    )
    verdicts = judge_table8(ModelJudge(judge), items)
    assert [v.score for v in verdicts] == [5, None, None]
    assert verdicts[1].error is not None and "unparseable" in verdicts[1].error
    assert verdicts[2].error == "timeout"
    assert judge_summary(verdicts) == {"mean": 5.0, "n": 1, "n_failed": 2}
    expected = TABLE8_PROMPT.format(input_text="車は何色ですか？", answer="白色", pred="ANSWER-ONE")
    assert judge.prompts[0] == expected
    assert "in the format of 'Score: X'" in expected


def test_a_crashing_judge_is_a_recorded_failure_per_item() -> None:
    items = [
        JudgeItem("a", "q", "r", "FIRST"),
        JudgeItem("b", "q", "r", "SECOND"),
        JudgeItem("c", "q", "r", "CRASHME"),
    ]
    judge = ScriptedJudge(
        {"FIRST": "Score: 3", "SECOND": "Score: 4", "CRASHME": "Score: 2"}, crash_on="CRASHME"
    )
    verdicts = judge_table8(ModelJudge(judge), items)
    assert [v.score for v in verdicts] == [3, 4, None]
    assert verdicts[2].error is not None and "server down" in verdicts[2].error


def test_heron_relative_score_per_category_hand_computed() -> None:
    items = [
        JudgeItem("1", "q", "ref", "M1", context="a shrine", category="conv"),
        JudgeItem("2", "q", "ref", "M2", category="conv"),
        JudgeItem("3", "q", "ref", "M3", category="detail"),
        JudgeItem("4", "q", "ref", "M4", category="detail"),
        JudgeItem("5", "q", "ref", "M5", category="complex"),
    ]
    replies: dict[str, str | None] = {
        "M1": "8 6\nok",
        "M2": "10 9",
        "M3": "8 8",
        "M4": "garbled",
        "M5": "5 10",
    }
    verdicts = judge_heron(ModelJudge(ScriptedJudge(replies)), items)
    out = heron_relative_scores(verdicts)
    # conv: 100 x mean(6, 9) / mean(8, 10) = 100 x 7.5 / 9; detail: item 4 failed -> 100 x 8 / 8; complex: 200
    assert out["categories"]["conv"]["relative"] == pytest.approx(100 * 7.5 / 9)
    assert out["categories"]["detail"]["relative"] == pytest.approx(100.0)
    assert out["categories"]["detail"]["n_failed"] == 1
    assert out["categories"]["complex"]["relative"] == pytest.approx(200.0)  # can exceed 100
    assert out["overall"] == pytest.approx((100 * 7.5 / 9 + 100 + 200) / 3)
    assert out["n_failed"] == 1 and out["missing_categories"] == []


def test_heron_headline_needs_all_three_categories() -> None:
    verdicts = [
        Judgement("1", 6.0, category="conv", reference_score=8.0),
        Judgement("2", 9.0, category="complex", reference_score=9.0),
        Judgement("3", None, "timeout", category="detail"),
    ]
    out = heron_relative_scores(verdicts)
    assert out["overall"] is None and out["missing_categories"] == ["detail"]
    assert out["categories"]["conv"]["relative"] == pytest.approx(75.0)
    assert out["categories"]["complex"]["relative"] == pytest.approx(100.0)
    assert out["n_failed"] == 1


def test_all_failed_gives_no_number() -> None:
    out = heron_relative_scores([Judgement("1", None, "timeout", category="conv")])
    assert out["overall"] is None and out["n_failed"] == 1
    assert out["missing_categories"] == ["conv", "detail", "complex"]
    assert judge_summary([Judgement("1", None, "timeout")])["mean"] is None


def test_real_mock_backend_as_judge() -> None:
    items = [JudgeItem(str(i), "q", "r", f"p{i}") for i in range(4)]
    verdicts = judge_table8(
        ModelJudge(MockModel("constant", text="Reasoning.\nScore: 4", batch_size=3)), items
    )
    assert [v.score for v in verdicts] == [4, 4, 4, 4]
    failing = judge_table8(ModelJudge(MockModel("constant", text="Score: 4", fail_rate=1.0)), items)
    assert all(not v.ok and v.error for v in failing)
    assert judge_summary(failing) == {"mean": None, "n": 0, "n_failed": 4}


def test_a_backend_that_drops_outputs_is_a_model_error() -> None:
    class Dropping(ScriptedJudge):
        def generate(self, requests: list[Request]) -> list[Output]:
            return []

    with pytest.raises(ModelError, match="0 outputs"):
        judge_table8(ModelJudge(Dropping({})), [JudgeItem("1", "q", "r", "p")])


def test_concurrent_batches_keep_the_order() -> None:
    import threading
    import time

    class SlowJudge(ScriptedJudge):
        max_concurrency = 4
        batch_size = 1

        def __init__(self) -> None:
            super().__init__({})
            self.threads: set[int] = set()

        def generate(self, requests: list[Request]) -> list[Output]:
            self.threads.add(threading.get_ident())
            time.sleep(0.1)  # long enough that a loaded machine still overlaps the batches
            number = int(requests[0].prompt.split("ITEM-")[1].split()[0])
            return [Output(text=f"Score: {number % 5 + 1}")]

    judge = SlowJudge()
    items = [JudgeItem(str(i), "q", "r", f"ITEM-{i}") for i in range(12)]
    verdicts = judge_table8(ModelJudge(judge), items)
    assert [v.score for v in verdicts] == [i % 5 + 1 for i in range(12)]
    assert [v.id for v in verdicts] == [str(i) for i in range(12)]
    assert len(judge.threads) > 1


def test_any_callable_is_a_judge_and_its_contract_is_checked() -> None:
    """The metric takes a plain callable: no backend needed, and a short reply list is a ModelError."""
    seen: list[tuple[str, str]] = []

    def judge(prompts: Sequence[tuple[str, str]], task: str) -> list[Output]:
        seen.extend((task, item_id) for item_id, _ in prompts)
        return [Output(text="Score: 3") for _ in prompts]

    verdicts = judge_table8(judge, [JudgeItem("a", "q", "r", "p"), JudgeItem("b", "q", "r", "p")])
    assert [v.score for v in verdicts] == [3, 3] and seen == [("judge_table8", "a"), ("judge_table8", "b")]
    with pytest.raises(ModelError, match="1 outputs for 2 prompts"):
        judge_heron(lambda prompts, task: [Output(text="8 6")], [JudgeItem("a", "q", "r", "p")] * 2)
