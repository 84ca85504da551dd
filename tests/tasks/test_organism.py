"""The ``organism`` task: a closed multilingual vocabulary, deterministic scenes, exact answer languages."""

from __future__ import annotations

from pathlib import Path

import pytest

from babelvlm.errors import ConfigError, UnknownNameError
from babelvlm.schema import SampleScore
from babelvlm.tasks import organism_scenes
from babelvlm.tasks.base import LoadOptions
from babelvlm.tasks.organism import OrganismTask, vocabulary
from babelvlm.tasks.registry import get_task
from babelvlm.text.normalize import normalize

LANGS = ("en", "zh", "ja", "fr", "de", "es", "ru")


@pytest.fixture(autouse=True)
def _cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BABELVLM_CACHE_DIR", str(tmp_path / "cache"))


def _load(seed: int = 0, scenes: int = 2, **extra: str) -> list:  # type: ignore[type-arg]
    options = LoadOptions(seed=seed, extra={"scenes": str(scenes), **extra})
    return list(get_task("organism").load(options))


def test_every_question_and_answer_exists_in_every_language() -> None:
    table = organism_scenes.words()
    assert organism_scenes.languages() == LANGS
    for qtype in organism_scenes.QTYPES:
        assert set(table["questions"][qtype]) == set(LANGS)
        for concept, by_lang in table["answers"][qtype].items():
            assert set(by_lang) == set(LANGS), (qtype, concept)


def test_no_answer_word_is_shared_between_languages() -> None:
    """A shared word ("triangle", 三角形) would inflate a language's score and hide its drift."""
    owners: dict[str, set[str]] = {}
    for concepts in organism_scenes.words()["answers"].values():
        for by_lang in concepts.values():
            for lang, word in by_lang.items():
                owners.setdefault(normalize(word, lang, strip_punct=True), set()).add(lang)
    shared = {word: langs for word, langs in owners.items() if len(langs) > 1}
    assert shared == {}
    assert len(vocabulary()) == len(owners)


def test_scenes_are_deterministic_and_seeds_differ() -> None:
    first, again, other = _load(seed=0), _load(seed=0), _load(seed=5)
    assert [s.id for s in first] == [s.id for s in again]
    assert first[0].images[0].read_bytes() == again[0].images[0].read_bytes()
    answers = [(s.meta["qtype"], s.meta["concept"]) for s in first if s.lang == "en"]
    assert answers != [(s.meta["qtype"], s.meta["concept"]) for s in other if s.lang == "en"]
    assert len(first) == 2 * len(organism_scenes.QTYPES) * len(LANGS)


def test_every_scene_is_asked_in_every_language_with_its_own_answer_word() -> None:
    samples = _load(scenes=1)
    scene0 = [s for s in samples if s.meta["scene"] == 0]
    assert sorted(s.lang for s in scene0) == sorted(LANGS)
    assert len({s.references[0] for s in scene0}) == len(LANGS)
    assert all(s.output_lang == s.lang and s.images for s in samples)


def test_scenes_are_128_px_pngs_whose_answer_is_drawn() -> None:
    from PIL import Image

    scene = organism_scenes.make_scenes(3, 1, ("colour",))[0]
    image = Image.open(__import__("io").BytesIO(organism_scenes.render_png(scene))).convert("RGB")
    assert image.size == (128, 128)
    rgb = tuple(organism_scenes.words()["colours_rgb"][scene.answer])
    _, _, cx, cy, _ = scene.shapes[0]
    assert image.getpixel((cx, cy)) == rgb


def test_score_separates_the_right_word_from_the_right_concept() -> None:
    task = OrganismTask()
    fr = next(s for s in _load(qtypes="colour") if s.lang == "fr")
    english = organism_scenes.answer_word("colour", fr.meta["concept"], "en")
    assert task.score(fr, fr.references[0]) == {"accuracy": 1.0, "concept_accuracy": 1.0}
    assert task.score(fr, f" {fr.references[0].upper()}. ") == {"accuracy": 1.0, "concept_accuracy": 1.0}
    assert task.score(fr, english) == {"accuracy": 0.0, "concept_accuracy": 1.0}
    assert task.score(fr, "la forme est jolie") == {"accuracy": 0.0, "concept_accuracy": 0.0}


def test_number_words_count_for_counts_and_digits() -> None:
    task = OrganismTask()
    count = next(s for s in _load(scenes=3, qtypes="count") if s.lang == "de")
    english = organism_scenes.answer_word("count", count.meta["concept"], "en")
    assert task.score(count, english)["concept_accuracy"] == 1.0


def test_aggregate_knows_the_language_of_vocabulary_answers() -> None:
    task = OrganismTask()
    by_lang = {s.lang: s for s in _load(scenes=1, qtypes="colour") if s.lang in ("en", "fr", "ja")}
    predictions = {
        "en": by_lang["en"].references[0],
        "fr": organism_scenes.answer_word(
            "colour", by_lang["fr"].meta["concept"], "en"
        ),  # drifted to English
        "ja": "これは何ですか",  # not a vocabulary word: the language identifier's answer stands
    }
    scored = [
        SampleScore(
            by_lang[lang].id,
            "organism",
            lang,
            text,
            task.score(by_lang[lang], text),
            output_lang=lang,
            meta=dict(by_lang[lang].meta),
        )
        for lang, text in predictions.items()
    ]
    scored[2].detected_lang = "ja"
    result = task.aggregate(scored, len(scored))
    assert [s.detected_lang for s in scored] == ["en", "en", "ja"]
    assert result.by_language["en"]["accuracy"] == 1.0
    assert result.by_language["fr"] == {"accuracy": 0.0, "concept_accuracy": 1.0}
    assert result.fidelity["by_language"]["fr"]["fidelity"] == 0.0
    assert result.fidelity["by_language"]["fr"]["drift_to_en"] == 1.0
    assert result.extra["output_matrix"]["fr"] == {"en": {"concept_accuracy": 1.0, "n": 1.0, "share": 1.0}}
    assert result.extra["by_qtype"]["colour"]["n"] == 3.0


def test_limit_takes_every_language_and_options_are_checked() -> None:
    limited = list(get_task("organism").load(LoadOptions(limit=8)))
    assert len(limited) == 8 and len({s.lang for s in limited}) == 7
    with pytest.raises(ConfigError):
        _load(scenes=0)
    with pytest.raises(UnknownNameError):
        _load(qtypes="smell")
    with pytest.raises(UnknownNameError):
        list(get_task("organism").load(LoadOptions(langs=["xx"])))
    with pytest.raises(ConfigError, match="no --data"):
        list(get_task("organism").load(LoadOptions(data=Path("."))))
