"""RealWorldQA (xAI, 2024), real-world spatial understanding questions, one of the general benchmarks
Parrot: Multilingual Visual Instruction Tuning reports.

Data: VLMEvalKit's ``RealWorldQA.tsv`` (``index, question, A..D, answer, image``), or the Hugging Face export
(xai-org/RealworldQA parquet: ``image, question, answer``) whose multiple-choice questions carry their
options as ``A. ...`` lines followed by an instruction; there the question and options are re-asked with
the VLMEvalKit MCQ prompt. A few questions have no options and ask for a word or number: they keep their
own text and are scored by normalised exact match. Accuracy is the score, as in its release.
"""

from __future__ import annotations

from babelvlm.tasks.base import Task, TaskInfo
from babelvlm.tasks.datafiles import Row
from babelvlm.tasks.english_mcq import EnglishMcqTask, McqFields, split_options


def realworldqa_fields(row: Row, task: str) -> McqFields:
    """An xai-org/RealworldQA row: options from its ``A. ...`` lines when the answer is one of them."""
    text = row.text("question") or ""
    answer = (row.text("answer") or "").strip()
    question, options = split_options(text, r"(?m)^([A-F])[.)]\s", one_line=True)
    index = row.text("index", required=False) or str(row.number - 1)
    if options and answer.upper() in options:
        return McqFields(index, question, options, answer.upper())
    return McqFields(index, text.strip(), {}, answer)


TASKS: list[Task] = [
    EnglishMcqTask(
        TaskInfo(
            name="realworldqa",
            description="RealWorldQA: real-world spatial questions (MCQ, a few short answers); accuracy",
            paper="RealWorldQA (xAI, 2024), as reported by Parrot: Multilingual Visual Instruction Tuning",
            languages=("en",),
            formats=("VLMEvalKit RealWorldQA.tsv", "xai-org/RealworldQA parquet"),
            metrics=("accuracy", "extracted"),
            primary_metric="accuracy",
        ),
        realworldqa_fields,
    )
]
