"""MMStar (Chen et al., 2024, "Are We on the Right Way for Evaluating Large Vision-Language Models?"), one
of the general benchmarks Parrot: Multilingual Visual Instruction Tuning reports (Figure 7b).

Data: VLMEvalKit's ``MMStar.tsv`` (``index, question, A..D, answer, category, l2_category, image``), or
the Hugging Face export (Lin-Chen/MMStar parquet: ``index, question, image, answer, category,
l2_category``, the options written in the question after ``Options:`` as ``A: ..., B: ...``). Scored as
its paper does: accuracy (option letter), with accuracy by its 6 core capabilities (``category``) and 18
detailed axes (``l2_category``).
"""

from __future__ import annotations

from babelvlm.tasks.base import Task, TaskInfo
from babelvlm.tasks.datafiles import Row
from babelvlm.tasks.english_mcq import EnglishMcqTask, McqFields, split_options


def mmstar_fields(row: Row, task: str) -> McqFields:
    """A Lin-Chen/MMStar row: options parsed from the question's ``Options:`` part."""
    text = row.text("question") or ""
    head, sep, tail = text.partition("Options:")
    question, options = (
        (head.strip(), split_options(tail, r"(?:^|(?<=[\s,]))([A-F]):\s")[1]) if sep else (text, {})
    )
    if not options:
        raise row.error("question", "has no 'Options: A: ..., B: ...' part", "give the MMStar question text")
    index = row.text("index", required=False) or str(row.number - 1)
    return McqFields(
        index,
        question,
        options,
        (row.text("answer") or "").strip().upper(),
        row.text("category", required=False),
        row.text("l2_category", required=False),
    )


TASKS: list[Task] = [
    EnglishMcqTask(
        TaskInfo(
            name="mmstar",
            description="MMStar: vision-indispensable MCQ; accuracy by core capability and detailed axis",
            paper="MMStar (Chen et al., 2024), as reported by Parrot: Multilingual Visual Instruction Tuning",
            languages=("en",),
            formats=("VLMEvalKit MMStar.tsv", "Lin-Chen/MMStar parquet"),
            metrics=("accuracy", "extracted"),
            primary_metric="accuracy",
        ),
        mmstar_fields,
    )
]
