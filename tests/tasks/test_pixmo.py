"""The Multi-PixMo suite: MCQ datasets, MME (acc, acc+, category and family totals), POPE (F1 ...)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from tsv_fixtures import MCQ_HEADER, YN_HEADER, mcq_rows, png_b64, write_tsv

from babelvlm.engine.runner import EvalConfig, run_eval
from babelvlm.engine.score_file import score_predictions
from babelvlm.errors import DataError
from babelvlm.schema import Sample
from babelvlm.tasks.base import LoadOptions
from babelvlm.tasks.registry import get_task

LANGS = ("en", "fr", "de", "it", "es")
QUESTION = {
    "en": "Is there a cat in the image?",
    "fr": "Y a-t-il un chat dans l'image ?",
    "de": "Ist eine Katze im Bild?",
    "it": "C'è un gatto nell'immagine?",
    "es": "¿Hay un gato en la imagen?",
}


def mme_rows(lang: str) -> list[dict[str, Any]]:
    """Two categories x two images x the (Yes, No) question pair; the second row of a pair refers to
    the first row's image by index, as the public MME.tsv does. The two questions of a pair differ
    (identical prompt + image would be one cached request)."""
    rows = []
    for c, category in enumerate(("existence", "code_reasoning")):
        for img in range(2):
            base = c * 100 + img * 2
            for q, answer in enumerate(("Yes", "No")):
                rows.append({
                    "index": base + q, "image": png_b64(base) if q == 0 else str(base),
                    "question": f"{QUESTION[lang]} ({answer}) Please answer yes or no.", "answer": answer,
                    "category": category, "image_path": f"{category}/{img}.png",
                })  # fmt: skip
    return rows


def pope_rows(lang: str) -> list[dict[str, Any]]:
    """Six questions: answers Yes, No, Yes, No, Yes, Yes over two categories."""
    answers = ("Yes", "No", "Yes", "No", "Yes", "Yes")
    return [
        {"index": i, "image": png_b64(i), "question": QUESTION[lang], "answer": a,
         "category": "popular" if i < 3 else "adversarial"}
        for i, a in enumerate(answers)
    ]  # fmt: skip


@pytest.fixture
def pixmo_dir(tmp_path: Path) -> Path:
    data = tmp_path / "pixmo"
    for lang in LANGS:
        write_tsv(data / f"MMBench_DEV_{lang}.tsv", MCQ_HEADER, mcq_rows(lang, 2, circular=True))
        write_tsv(data / f"ScienceQA_VAL_{lang}.tsv", MCQ_HEADER, mcq_rows(lang, 3, circular=False))
        write_tsv(data / "ai2d" / f"AI2D_TEST_{lang}.tsv", MCQ_HEADER, mcq_rows(lang, 2, circular=False))
        write_tsv(data / f"MME_{lang}.tsv", YN_HEADER, mme_rows(lang))
        write_tsv(data / f"POPE_{lang}.tsv", YN_HEADER[:-1], pope_rows(lang))
    return data


def _run(out: Path, tasks: list[str], data: Path, model: str, **kw: Any) -> dict[str, Any]:
    run_eval(
        EvalConfig(model=model, tasks=tasks, data=data, out=out, progress=False, write_report=False, **kw)
    )
    results: dict[str, Any] = json.loads((out / "results.json").read_text(encoding="utf-8"))
    return results["tasks"]  # type: ignore[no-any-return]


def test_every_task_is_registered_with_languages_and_formats() -> None:
    for name in ("pixmo_mmbench", "pixmo_scienceqa", "pixmo_ai2d", "pixmo_mme", "pixmo_pope"):
        info = get_task(name).info
        assert info.languages == LANGS and info.formats and info.primary_metric in info.metrics


def test_yes_no_prompts_and_answers(pixmo_dir: Path) -> None:
    pope = list(get_task("pixmo_pope").load(LoadOptions(data=pixmo_dir, langs=["de"])))
    assert pope[0].prompt == "Ist eine Katze im Bild?\nBitte antworten Sie mit Ja oder Nein."
    assert pope[0].references == ["Yes"] and pope[0].id == "de/0"
    mme = list(get_task("pixmo_mme").load(LoadOptions(data=pixmo_dir, langs=["fr"])))
    assert mme[0].prompt.endswith("Please answer yes or no.") and "\n" not in mme[0].prompt
    assert mme[1].images[0].b64 == mme[0].images[0].b64 and mme[1].meta["image"] == "existence/0.png"
    with_flag = get_task("pixmo_mme").load(
        LoadOptions(data=pixmo_dir, langs=["it"], extra={"yn_instruction": "1"})
    )
    assert next(with_flag).prompt.endswith("Per favore, rispondi sì o no.")


def test_yes_no_answer_must_be_yes_or_no(tmp_path: Path) -> None:
    rows = pope_rows("es")
    rows[2]["answer"] = "Maybe"
    path = write_tsv(tmp_path / "POPE_es.tsv", YN_HEADER[:-1], rows)
    with pytest.raises(
        DataError, match=r"POPE_es\.tsv row 3 field 'answer': is 'Maybe' but must be Yes or No"
    ):
        list(get_task("pixmo_pope").load(LoadOptions(data=path)))
    assert len(list(get_task("pixmo_pope").load(LoadOptions(data=path, skip_bad_rows=True)))) == 5


def test_score_yes_no_in_each_language() -> None:
    task = get_task("pixmo_pope")
    sample = Sample("fr/1", "pixmo_pope", "p", ["No"], "fr")
    assert task.score(sample, "Non, il n'y en a pas.") == {
        "accuracy": 1.0,
        "extracted": 1.0,
        "predicted_yes": 0.0,
    }
    assert task.score(sample, "Oui.") == {"accuracy": 0.0, "extracted": 1.0, "predicted_yes": 1.0}
    assert task.score(sample, "Je ne sais pas.") == {"accuracy": 0.0, "extracted": 0.0, "predicted_yes": 0.0}


def test_suite_end_to_end_perfect(tmp_path: Path, pixmo_dir: Path) -> None:
    names = ["pixmo_mmbench", "pixmo_scienceqa", "pixmo_ai2d", "pixmo_mme", "pixmo_pope"]
    tasks = _run(tmp_path / "run", names, pixmo_dir, "mock:answer")
    assert tasks["pixmo_mmbench"]["scores"]["circular_accuracy"] == 1.0
    assert tasks["pixmo_scienceqa"]["scores"]["accuracy"] == 1.0
    assert tasks["pixmo_ai2d"]["n_samples"] == 10
    mme = tasks["pixmo_mme"]
    assert mme["scores"] == pytest.approx(
        {"total": 400.0, "perception": 200.0, "cognition": 200.0, "accuracy": 1.0, "extracted": 1.0,
         "predicted_yes": 0.5}
    )  # fmt: skip
    existence = mme["extra"]["mme"]["de"]["categories"]["existence"]
    assert existence == {"acc": 100.0, "acc_plus": 100.0, "score": 200.0, "n_images": 2, "n_images_failed": 0}
    pope = tasks["pixmo_pope"]
    assert pope["primary_metric"] == "f1" and pope["scores"]["f1"] == 1.0
    assert pope["scores"]["yes_ratio"] == pytest.approx(4 / 6)
    for task in tasks.values():
        assert set(task["by_language"]) == set(LANGS)
        gaps = task["extra"]["gap_to_en"]["by_language"]
        assert set(gaps) == {"fr", "de", "it", "es"} and all(g["gap"] == 0.0 for g in gaps.values())


def test_mme_and_pope_with_a_constant_model(tmp_path: Path, pixmo_dir: Path) -> None:
    tasks = _run(tmp_path / "run", ["pixmo_mme", "pixmo_pope"], pixmo_dir, "mock:constant",
                 model_options={"text": "Yes"}, langs=["en", "fr"])  # fmt: skip
    mme = tasks["pixmo_mme"]
    # every "Yes" question right, every "No" wrong: acc 50 %, acc+ 0 % -> 50 points per category
    assert mme["extra"]["mme"]["fr"]["categories"]["code_reasoning"]["score"] == 50.0
    assert mme["by_language"]["en"]["total"] == 100.0 and mme["scores"]["perception"] == 50.0
    pope = tasks["pixmo_pope"]["scores"]
    # answers Yes,No,Yes,No,Yes,Yes; always "Yes": tp 4, fp 2, fn 0
    assert pope["precision"] == pytest.approx(4 / 6) and pope["recall"] == 1.0
    assert pope["f1"] == pytest.approx(0.8) and pope["accuracy"] == pytest.approx(4 / 6)
    assert pope["yes_ratio"] == 1.0
    by_cat = tasks["pixmo_pope"]["extra"]["pope"]["by_category"]["en"]
    assert by_cat["popular"]["precision"] == pytest.approx(2 / 3) and by_cat["adversarial"][
        "f1"
    ] == pytest.approx(0.8)


def test_unreadable_answers_are_wrong_and_counted(tmp_path: Path, pixmo_dir: Path) -> None:
    tasks = _run(tmp_path / "run", ["pixmo_pope"], pixmo_dir, "mock:constant",
                 model_options={"text": "hmm"}, langs=["it"])  # fmt: skip
    scores = tasks["pixmo_pope"]["scores"]
    assert scores["extracted"] == 0.0 and scores["accuracy"] == 0.0 and scores["f1"] == 0.0
    assert tasks["pixmo_pope"]["n_failed"] == 0


def test_score_predictions_for_mme(tmp_path: Path, pixmo_dir: Path) -> None:
    samples = list(get_task("pixmo_mme").load(LoadOptions(data=pixmo_dir, langs=["es"])))
    preds = tmp_path / "mme.jsonl"
    with preds.open("w", encoding="utf-8") as fh:
        for s in samples:  # right everywhere except one question of existence image 0
            said = "No" if s.id == "es/0" else s.references[0]
            answer = {"Yes": "Sí, lo hay.", "No": "No."}[said]
            fh.write(json.dumps({"id": s.id, "prediction": answer}, ensure_ascii=False) + "\n")
    run = score_predictions(
        "pixmo_mme", preds, data=pixmo_dir, langs=["es"], out=tmp_path / "s", write_report=False
    )
    result = run.tasks["pixmo_mme"]
    # existence: acc 75 %, acc+ 50 % -> 125; code_reasoning: 200
    assert result.extra["mme"]["es"]["categories"]["existence"]["score"] == 125.0
    assert result.scores["perception"] == 125.0 and result.scores["cognition"] == 200.0
    assert result.scores["total"] == 325.0


def test_pixmo_suite_runs_every_dataset_from_one_folder(tmp_path: Path, pixmo_dir: Path) -> None:
    samples = list(get_task("pixmo").load(LoadOptions(data=pixmo_dir, langs=["en"])))
    assert {s.meta["dataset"] for s in samples} == {"mmbench", "scienceqa", "ai2d", "mme", "pope"}
    assert samples[0].id == "mmbench/en/0" and all(s.task == "pixmo" for s in samples)
    suite = _run(tmp_path / "run", ["pixmo"], pixmo_dir, "mock:answer", langs=["en", "de"])["pixmo"]
    assert suite["scores"] == pytest.approx({
        "mmbench/circular_accuracy": 1.0, "scienceqa/accuracy": 1.0, "ai2d/accuracy": 1.0,
        "mme/total": 400.0, "pope/f1": 1.0,
    })  # fmt: skip
    assert suite["by_language"]["de"]["mme/total"] == 400.0
    assert suite["extra"]["datasets"]["pope"]["extra"]["gap_to_en"]["by_language"]["de"]["gap"] == 0.0


def test_cli_score_and_tasks(tmp_path: Path, pixmo_dir: Path) -> None:
    from typer.testing import CliRunner

    from babelvlm.cli import app

    samples = list(get_task("pixmo_pope").load(LoadOptions(data=pixmo_dir, langs=["fr"])))
    preds = tmp_path / "pope.jsonl"
    preds.write_text(
        "".join(json.dumps({"id": s.id, "prediction": "Oui"}) + "\n" for s in samples), encoding="utf-8"
    )
    out = tmp_path / "scored"
    args = ["score", "--task", "pixmo_pope", "--predictions", str(preds), "--data", str(pixmo_dir),
            "--langs", "fr", "--out", str(out)]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    scores = json.loads((out / "results.json").read_text(encoding="utf-8"))["tasks"]["pixmo_pope"]["scores"]
    assert scores["yes_ratio"] == 1.0 and scores["recall"] == 1.0 and scores["f1"] == pytest.approx(0.8)
    listing = CliRunner().invoke(app, ["tasks"], env={"COLUMNS": "400"})
    assert listing.exit_code == 0
    for name in ("mmbench", "mmmb", "pixmo", "pixmo_mme", "pixmo_pope"):
        assert re.search(rf"^[│┃|] {name} +[│┃|] ", listing.output, re.MULTILINE), name


def test_mme_pairs_by_image_identity_when_the_base64_is_repeated(tmp_path: Path) -> None:
    """No image_path and the full base64 image on both rows of a pair (as some exports write MME): acc+
    still pairs the two questions of an image, by the hash of the decoded image bytes."""
    rows = [
        {"index": img * 2 + q, "image": png_b64(img), "question": f"Is it {answer}? Please answer yes or no.",
         "answer": answer, "category": "existence"}
        for img in range(2) for q, answer in enumerate(("Yes", "No"))
    ]  # fmt: skip
    data = tmp_path / "data"
    write_tsv(data / "MME_en.tsv", YN_HEADER[:-1], rows)
    samples = list(get_task("pixmo_mme").load(LoadOptions(data=data, langs=["en"])))
    assert samples[0].meta["image"] == samples[1].meta["image"] != samples[2].meta["image"]
    preds = tmp_path / "mme.jsonl"
    with preds.open("w", encoding="utf-8") as fh:
        for s in samples:  # image 0: both right; image 1: the "No" question answered "Yes"
            said = "Yes" if s.id == "en/3" else s.references[0]
            fh.write(json.dumps({"id": s.id, "prediction": said}) + "\n")
    run = score_predictions(
        "pixmo_mme", preds, data=data, langs=["en"], out=tmp_path / "s", write_report=False
    )
    existence = run.tasks["pixmo_mme"].extra["mme"]["en"]["categories"]["existence"]
    # acc 75 %, acc+ 50 % (one of two images fully right): 125 points over 2 images, not 4
    assert existence == {"acc": 75.0, "acc_plus": 50.0, "score": 125.0, "n_images": 2, "n_images_failed": 0}
