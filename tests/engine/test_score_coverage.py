"""``babelvlm score`` bookkeeping: samples without a prediction, and the options that match the ids."""

from __future__ import annotations

from babelvlm.engine.score_file import prediction_coverage
from babelvlm.schema import Sample
from babelvlm.tasks.registry import get_task


def _samples(scenes: int = 1) -> list[Sample]:
    return [
        Sample(
            id=f"{q}-{i}" + (f"-{n}" if n else ""),
            task="babeltext",
            prompt="?",
            references=["1"],
            lang=q,
            image_lang=i,
            meta={"scene": n},
        )
        for n in range(scenes)
        for q in ("en", "ja", "ru")
        for i in ("en", "ja", "ru")
    ]


def test_suggests_langs_and_the_image_language_option() -> None:
    cov = prediction_coverage(get_task("babeltext"), _samples(), {"en-ja", "ja-ja", "nope"})
    assert cov == {
        "given": 3,
        "matched": 2,
        "samples_without_prediction": 7,
        "fix": "--langs en,ja -T image_langs=ja",
    }


def test_no_fix_when_every_language_is_covered_or_nothing_matched() -> None:
    task = get_task("babeltext")
    every_lang = {"en-en", "ja-ja", "ru-ru"}
    assert "fix" not in prediction_coverage(task, _samples(), every_lang)
    assert prediction_coverage(task, _samples(), set()) == {
        "given": 0,
        "matched": 0,
        "samples_without_prediction": 9,
    }
    jsonl = get_task("jsonl")  # no image-language option: only --langs is suggested
    assert prediction_coverage(jsonl, _samples(), {"en-ja"})["fix"] == "--langs en"


def test_suggests_the_number_of_scenes_the_predictions_cover() -> None:
    first_scene = {s.id for s in _samples(1)}  # e.g. made by `eval --limit 9`: one scene, every language
    cov = prediction_coverage(get_task("babeltext"), _samples(20), first_scene)
    assert cov["samples_without_prediction"] == 171 and cov["fix"] == "-T scenes=1"
