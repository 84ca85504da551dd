"""MMMB Yes/No pair accuracy and the per-category tables, checked by hand on tiny public-format TSVs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from tsv_fixtures import MCQ_HEADER, png_b64, write_tsv

from babelvlm.engine.runner import EvalConfig, run_eval
from babelvlm.engine.score_file import score_predictions
from babelvlm.schema import SampleScore
from babelvlm.tasks.mmmb_pairs import count_pairs, yes_no_of

YES_NO = {"en": ("Yes", "No"), "pt": ("Sim", "Não")}


def _rows(lang: str) -> list[dict[str, Any]]:
    """Image 0: a Yes and a No question (a pair); image 1: a pair whose 2nd row refers to the 1st row's
    image by index; image 2: a single Yes question (unpaired); image 3: two Yes questions (unpaired)."""
    yes, no = YES_NO[lang]
    plan = [  # (index, image, answer letter (A = yes, B = no), category, l2)
        (1, png_b64(0), "A", "color", "perception"),
        (2, png_b64(0), "B", "color", "perception"),
        (3, png_b64(1), "A", "count", "perception"),
        (4, "3", "B", "count", "perception"),
        (5, png_b64(2), "A", "logic", "reasoning"),
        (6, png_b64(3), "A", "logic", "reasoning"),
        (7, png_b64(3), "A", "logic", "reasoning"),
    ]
    return [
        {"index": i, "question": f"Q{i}?", "A": yes, "B": no, "answer": a, "category": c, "l2-category": l2,
         "image": img}
        for i, img, a, c, l2 in plan
    ]  # fmt: skip


@pytest.fixture
def mmmb_dir(tmp_path: Path) -> Path:
    data = tmp_path / "mmmb"
    for lang in YES_NO:
        write_tsv(data / f"mmmb_{lang}.tsv", MCQ_HEADER, _rows(lang))
    return data


def _predictions(path: Path, answers: dict[str, str]) -> Path:
    path.write_text("".join(json.dumps({"id": k, "prediction": v}) + "\n" for k, v in answers.items()))
    return path


def test_pair_accuracy_by_hand(tmp_path: Path, mmmb_dir: Path) -> None:
    # en: pair 1-2 both right, pair 3-4 one wrong; rows 5,6,7 unpaired (right, wrong, right)
    # pt: pair 1-2 one wrong, pair 3-4 both right; unpaired all right
    answers = {
        "en/1": "A", "en/2": "B", "en/3": "A", "en/4": "A", "en/5": "A", "en/6": "B", "en/7": "A",
        "pt/1": "B", "pt/2": "B", "pt/3": "A", "pt/4": "B", "pt/5": "A", "pt/6": "A", "pt/7": "A",
    }  # fmt: skip
    run = score_predictions("mmmb", _predictions(tmp_path / "p.jsonl", answers), data=mmmb_dir,
                            out=tmp_path / "out", write_report=False)  # fmt: skip
    res = run.tasks["mmmb"]
    assert res.primary_metric == "pair_accuracy"
    assert res.by_language["en"]["pair_accuracy"] == 0.5 and res.by_language["pt"]["pair_accuracy"] == 0.5
    assert res.scores["pair_accuracy"] == 0.5  # 2 right of 4 pairs pooled
    assert res.by_language["en"]["accuracy"] == pytest.approx(5 / 7)
    assert res.by_language["pt"]["accuracy"] == pytest.approx(6 / 7)
    pairs = res.extra["yes_no_pairs"]
    assert pairs["n_pairs"] == 4 and pairs["n_unpaired_rows"] == 6
    assert pairs["by_language"]["en"]["n_unpaired_rows"] == 3
    assert "6 row(s) form no Yes/No pair" in pairs["note"]
    category = res.extra["breakdowns"]["category"]
    assert category["rows"] == "category" and category["cols"] == "language"
    assert category["table"]["color"]["en"] == {"n": 2.0, "accuracy": 1.0}
    assert category["table"]["count"]["en"]["accuracy"] == 0.5
    assert category["table"]["logic"]["en"]["accuracy"] == pytest.approx(2 / 3)
    assert category["table"]["color"]["pt"]["accuracy"] == 0.5
    l2 = res.extra["breakdowns"]["l2-category"]["table"]
    assert l2["perception"]["en"]["accuracy"] == 0.75 and l2["reasoning"]["pt"]["accuracy"] == 1.0


def test_pair_with_failed_request_is_left_out(tmp_path: Path, mmmb_dir: Path) -> None:
    answers = {"en/1": "A", "en/2": "B", "en/3": "A"}  # en/4 missing: a failure
    run = score_predictions("mmmb", _predictions(tmp_path / "p.jsonl", answers), data=mmmb_dir,
                            langs=["en"], out=tmp_path / "out", write_report=False)  # fmt: skip
    pairs = run.tasks["mmmb"].extra["yes_no_pairs"]
    assert pairs["n_pairs"] == 1 and pairs["n_pairs_failed"] == 1 and pairs["pair_accuracy"] == 1.0


def test_end_to_end_perfect_and_constant(tmp_path: Path, mmmb_dir: Path) -> None:
    def run(model: str, out: str, **options: str) -> Any:
        config = EvalConfig(model=model, model_options=options, tasks=["mmmb"], data=mmmb_dir,
                            out=tmp_path / out, progress=False, write_report=False)  # fmt: skip
        return run_eval(config).tasks["mmmb"]

    perfect = run("mock:answer", "a")
    assert perfect.scores["pair_accuracy"] == 1.0 and perfect.scores["accuracy"] == 1.0
    always_yes = run("mock:constant", "b", text="A")  # every pair has one wrong answer
    assert always_yes.scores["pair_accuracy"] == 0.0
    assert always_yes.scores["accuracy"] == pytest.approx(10 / 14)


def test_rows_without_pairs_keep_accuracy_headline() -> None:
    meta = {"image": "x", "answer_text": "Yes"}
    lone = SampleScore("en/1", "mmmb", "en", "A", {"accuracy": 1.0}, meta=meta)
    count = count_pairs([lone])
    assert count.n_pairs == 0 and count.n_unpaired_rows == 1 and count.pair_accuracy is None


@pytest.mark.parametrize(("text", "lang", "label"),
                         [("Yes", "en", "yes"), ("Não", "pt", "no"), ("Да", "ru", "yes"),
                          ("Hayır", "tr", "no"), ("لا", "ar", "no"), ("是", "zh", "yes"),
                          ("a cat", "en", None)])  # fmt: skip
def test_yes_no_labels_in_mmmb_languages(text: str, lang: str, label: str | None) -> None:
    assert yes_no_of(text, lang) == label


def test_mmbench_circular_accuracy_by_category(tmp_path: Path) -> None:
    from tsv_fixtures import mcq_rows

    from babelvlm.tasks.base import LoadOptions
    from babelvlm.tasks.registry import get_task

    rows = mcq_rows("en", 3, circular=True, answers="ABC")
    for row in rows:  # questions 0 and 1 in "color", question 2 in "count"
        row["category"] = "count" if row["index"] % 10**6 == 2 else "color"
    data = write_tsv(tmp_path / "MMBench_DEV_EN.tsv", MCQ_HEADER, rows)
    samples = list(get_task("mmbench").load(LoadOptions(data=data)))
    wrong = "en/1000001"  # one rotated copy of question 1 answered wrong
    answers = {s.id: ("D" if s.id == wrong and s.references[0] != "D" else s.references[0]) for s in samples}
    assert answers[wrong] != next(s.references[0] for s in samples if s.id == wrong)
    res = score_predictions("mmbench", _predictions(tmp_path / "p.jsonl", answers), data=data,
                            out=tmp_path / "o", write_report=False).tasks["mmbench"]  # fmt: skip
    table = res.extra["breakdowns"]["category (circular)"]["table"]
    assert table["color"]["en"] == {"n": 2.0, "circular_accuracy": 0.5}
    assert table["count"]["en"] == {"n": 1.0, "circular_accuracy": 1.0}
    assert (
        res.extra["breakdowns"]["category"]["table"]["color"]["en"]["accuracy"] == 1.0
    )  # originals all right
