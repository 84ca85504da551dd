"""SEED-Bench, image part (Li et al., 2024, "SEED-Bench: Benchmarking Multimodal LLMs with Generative
Comprehension"), one of the general benchmarks Parrot: Multilingual Visual Instruction Tuning reports.

Data: VLMEvalKit's ``SEEDBench_IMG.tsv`` (``index, question, A..D, answer, category, image``), or the
Hugging Face export (lmms-lab/SEED-Bench parquet: ``question_id, question, choice_a..choice_d, answer,
question_type_id, data_type, image`` (a list of images)), whose video questions (``data_type`` other than
``image``) are left out. Scored as its paper does: accuracy, and accuracy per evaluation dimension
(``category``; the 9 image dimensions by ``question_type_id``, ``data/seedbench_types.json``).
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources

from babelvlm.tasks.base import Task, TaskInfo
from babelvlm.tasks.datafiles import Row
from babelvlm.tasks.english_mcq import EnglishMcqTask, McqFields


@lru_cache(maxsize=1)
def dimension_names() -> dict[str, str]:
    """question_type_id -> evaluation dimension name."""
    text = resources.files("babelvlm.tasks").joinpath("data/seedbench_types.json").read_text("utf-8")
    table: dict[str, str] = json.loads(text)
    return {k: v for k, v in table.items() if not k.startswith("_")}


def seed_fields(row: Row, task: str) -> McqFields | None:
    """An lmms-lab/SEED-Bench row; None for a video question."""
    if (row.text("data_type", required=False) or "image").lower() != "image":
        return None
    image = row.fields.get("image")
    if isinstance(image, list):  # the export holds a list of images: the image questions have one
        if len(image) != 1:
            raise row.error("image", f"has {len(image)} images; an image question has one", "check the row")
        row.fields["image"] = image[0]
    options = {letter: row.text(f"choice_{letter.lower()}") or "" for letter in "ABCD"}
    type_id = row.text("question_type_id", required=False)
    category = dimension_names().get(type_id or "", type_id)
    index = (
        row.text("question_id", required=False) or row.text("data_id", required=False) or str(row.number - 1)
    )
    return McqFields(
        index, row.text("question") or "", options, (row.text("answer") or "").strip().upper(), category
    )


TASKS: list[Task] = [
    EnglishMcqTask(
        TaskInfo(
            name="seedbench_img",
            description="SEED-Bench (image): 4-option MCQ; accuracy overall and per evaluation dimension",
            paper="SEED-Bench (Li et al., 2024), reported by Parrot: Multilingual Visual Instruction Tuning",
            languages=("en",),
            formats=("VLMEvalKit SEEDBench_IMG.tsv", "lmms-lab/SEED-Bench parquet (image questions)"),
            metrics=("accuracy", "extracted"),
            primary_metric="accuracy",
        ),
        seed_fields,
    )
]
