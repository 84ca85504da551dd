"""Parse the QA objects an LLM writes for the XPaperQA prompts (``{"question", "answer", "confidence"}``).

The prompts ask for one or more JSON objects; models wrap them in prose, code fences or a list. Every JSON
value in the text is decoded (``json.JSONDecoder.raw_decode`` from each ``{`` or ``[``); an object that
lacks a field or has a confidence that is not an integer 1-10 is a problem with its reason, and a text
with no JSON object at all is one problem. Nothing is repaired or guessed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

_DECODER = json.JSONDecoder()


@dataclass(frozen=True)
class ParsedQA:
    """A well-formed QA object."""

    question: str
    answer: str
    confidence: int


def _json_values(text: str) -> Iterator[Any]:
    """Every top-level JSON object or array in ``text``, left to right."""
    position = 0
    while position < len(text):
        starts = [i for i in (text.find("{", position), text.find("[", position)) if i >= 0]
        if not starts:
            return
        start = min(starts)
        try:
            value, end = _DECODER.raw_decode(text, start)
        except json.JSONDecodeError:
            position = start + 1
            continue
        yield value
        position = end


def _objects(text: str) -> Iterator[dict[str, Any]]:
    for value in _json_values(text):
        items = value if isinstance(value, list) else [value]
        yield from (item for item in items if isinstance(item, dict))


def _confidence(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and value.strip().isdigit():
        number = int(value.strip())
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    else:
        return None
    return number if 1 <= number <= 10 else None


def check_qa(item: dict[str, Any], score_field: str = "confidence") -> ParsedQA | str:
    """The object as a ParsedQA, or the reason it is malformed."""
    for name in ("question", "answer", score_field):
        if name not in item:
            return f"malformed: missing field '{name}'"
    question, answer = item["question"], item["answer"]
    if not isinstance(question, str) or not question.strip():
        return "malformed: 'question' is not a non-empty string"
    if isinstance(answer, (int, float)) and not isinstance(answer, bool):
        answer = str(answer)
    if not isinstance(answer, str) or not answer.strip():
        return "malformed: 'answer' is not a non-empty string"
    confidence = _confidence(item[score_field])
    if confidence is None:
        return f"malformed: '{score_field}' is not an integer from 1 to 10"
    return ParsedQA(question.strip(), answer.strip(), confidence)


def parse_qa_text(text: str, score_field: str = "confidence") -> tuple[list[ParsedQA], list[str]]:
    """The well-formed QA objects in an LLM answer and the reasons of the malformed ones."""
    parsed: list[ParsedQA] = []
    problems: list[str] = []
    found = False
    for item in _objects(text):
        found = True
        checked = check_qa(item, score_field)
        if isinstance(checked, str):
            problems.append(checked)
        else:
            parsed.append(checked)
    if not found:
        problems.append("malformed: no JSON object in the answer")
    return parsed, problems
