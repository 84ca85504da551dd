"""MultiExpArt: templates as data, the public JSON format (Appendix K), settings, patterns, the image
cache, scoring and the instruction x output matrix with deltas against en-en."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from babelvlm.errors import DataError
from babelvlm.schema import SampleScore
from babelvlm.tasks.base import LoadOptions
from babelvlm.tasks.image_cache import ImageCache, MissingImagesError, cache_name
from babelvlm.tasks.multiexpart import TASKS, parse_patterns, pattern_of
from babelvlm.tasks.multiexpart_prompts import (
    parse_template_name,
    recover_slots,
    render,
    template_languages,
    template_text,
    with_answer_language,
)

TASK = {t.name: t for t in TASKS}
ALIGN5 = ("en", "es", "fr", "it", "ja")
GOLD = {
    "en": "The Mona Lisa is a portrait by Leonardo da Vinci. It hangs in the Louvre in Paris.",
    "es": "La Mona Lisa es un retrato de Leonardo da Vinci. Se encuentra en el Louvre de París.",
    "fr": "La Joconde est un portrait de Leonardo da Vinci. Elle est exposée au Louvre à Paris.",
    "it": "La Gioconda è un ritratto di Leonardo da Vinci. Si trova al Louvre di Parigi.",
    "ja": "モナ・リザはレオナルド・ダ・ヴィンチの肖像画である。パリのルーヴル美術館にある。",
}
ENTITIES = {
    "en": ["Leonardo da Vinci", "Louvre", "Paris"],
    "es": ["Leonardo da Vinci", "Louvre", "París"],
    "fr": ["Leonardo da Vinci", "Louvre", "Paris"],
    "it": ["Leonardo da Vinci", "Louvre", "Parigi"],
    "ja": ["レオナルド・ダ・ヴィンチ", "ルーヴル美術館", "パリ"],
}
TITLE = {"en": "Mona Lisa", "es": "La Gioconda", "fr": "La Joconde", "it": "Gioconda", "ja": "モナ・リザ"}
SECTION = {"en": "History", "es": "Historia", "fr": "Histoire", "it": "Storia", "ja": "歴史"}
URL = "https://upload.wikimedia.org/wikipedia/commons/6/6a/Mona_Lisa.jpg"


def _png(path: Path, color: tuple[int, int, int] = (200, 30, 30)) -> None:
    Image.new("RGB", (8, 8), color).save(path, format="PNG")


def _row(lang: str, text_id: int, title: str, en_title: str, url: str) -> dict[str, object]:
    return {
        "text_id": text_id,
        "title": title,
        "en_title": en_title,
        "lang": lang,
        "source_lang": lang,
        "target_lang": lang,
        "image_url": url,
        "en_image_url": url,
        "template": f"{lang}_template1_section",
        "prompt": render(lang, "1", "section", {"title": title, "section": SECTION[lang]}),
        "gold": GOLD[lang],
        "gold_entity": ENTITIES[lang],
    }


@pytest.fixture()
def dataset(tmp_path: Path) -> tuple[Path, Path]:
    """A JSON file in the Appendix K format: Mona Lisa in 5 languages, another artwork in en+fr only."""
    rows = [_row(lang, i, TITLE[lang], "Mona Lisa", URL) for i, lang in enumerate(ALIGN5)]
    other = "https://example.org/images/The%20Night%20Watch.png"
    rows += [
        _row(lang, 10 + i, "The Night Watch", "The Night Watch", other) for i, lang in enumerate(("en", "fr"))
    ]
    data = tmp_path / "multiexpart_test.json"
    data.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    cache = tmp_path / "images"
    cache.mkdir()
    _png(cache / "Mona_Lisa.jpg")
    _png(cache / "The Night Watch.png", (10, 10, 10))
    return data, cache


def _load(name: str, data: Path, cache: Path | None, **extra: str) -> list:  # type: ignore[type-arg]
    return list(TASK[name].load(LoadOptions(data=data, images=cache, extra=dict(extra))))


def test_templates_are_complete_and_verbatim() -> None:
    assert set(template_languages()) == {"en", "zh", "nl", "fr", "de", "it", "ja", "ru", "es", "sv"}
    for lang in template_languages():
        for number in "1234":
            for level in ("section", "subsection", "subsubsection"):
                text = template_text(lang, number, level)
                assert "{title}" in text and "{section}" in text
    assert template_text("en", "2", "section") == "Explain the {section} of this artwork, {title}."
    assert template_text("ja", "1", "section") == "{title}に焦点を当てて、その{section}を説明してください。"
    german = [template_text("de", n, lv) for n in "12" for lv in ("section", "subsection", "subsubsection")]
    assert all("rkläre" in t and "rkunde" not in t for t in german)


def test_template_names_and_slot_recovery_round_trip() -> None:
    assert parse_template_name("ja_template3_sub_subsection") == parse_template_name(
        "ja_template3_subsubsection"
    )
    assert parse_template_name("xx_template1_section") is None
    # Section names without spaces are unambiguous in every template once the title is known.
    slots = {"title": "Mona Lisa", "section": "Geschichte", "subsection": "Stil", "subsubsection": "Farbe"}
    for lang in template_languages():
        for number in "1234":
            for level in ("section", "subsection", "subsubsection"):
                template = parse_template_name(f"{lang}_template{number}_{level}")
                assert template is not None
                prompt = render(lang, number, level, slots)
                recovered = recover_slots(template, prompt, title="Mona Lisa")
                assert recovered is not None, (lang, number, level)
                assert recovered == {
                    k: v
                    for k, v in slots.items()
                    if k != "title" and "{" + k + "}" in template_text(lang, number, level)
                }
    spaced = render("en", "1", "subsubsection", slots | {"section": "Early life", "subsection": "Art work"})
    en = parse_template_name("en_template1_subsubsection")
    assert en is not None
    assert recover_slots(en, spaced) == {
        "section": "Early life",
        "title": "Mona Lisa",
        "subsection": "Art work",
        "subsubsection": "Farbe",
    }


def test_answer_language_sentence_is_in_the_instruction_language() -> None:
    assert with_answer_language("Explain it.", "en", "ja") == "Explain it. Answer in Japanese."
    assert (
        with_answer_language("説明してください。", "ja", "en") == "説明してください。英語で答えてください。"
    )
    assert with_answer_language("Explique.", "fr", "fr") == "Explique."


def test_alignment5_patterns_and_prompts(dataset: tuple[Path, Path]) -> None:
    data, cache = dataset
    samples = _load("multiexpart_align5", data, cache)
    # Mona Lisa only (The Night Watch is not in all five languages): en-en + 4 languages x 3 patterns.
    assert len(samples) == 1 + 4 * 3
    by_id = {s.id: s for s in samples}
    en_es = by_id["es:1:es_template1_section:en-es"]
    assert en_es.prompt == "Focus on Mona Lisa and explain the Historia. Answer in Spanish."
    assert en_es.lang == "en" and en_es.output_lang == "es" and en_es.references == [GOLD["es"]]
    assert {s.max_new_tokens for s in samples} == {1024}  # the paper's limit (Appendix A.1) by default
    assert by_id["es:1:es_template1_section:es-en"].prompt.endswith(
        "y explora la Historia. Responde en inglés."
    )
    assert by_id["ja:4:ja_template1_section:ja-en"].prompt.endswith(
        "を説明してください。英語で答えてください。"
    )
    assert by_id["ja:4:ja_template1_section:ja-ja"].prompt == _row("ja", 4, TITLE["ja"], "", URL)["prompt"]
    assert {pattern_of(s.lang, s.output_lang) for s in samples} == {"en-en", "en-L", "L-en", "L-L"}
    assert all(s.images[0].path == str(cache / "Mona_Lisa.jpg") for s in samples)
    assert all(s.meta["entities"] for s in samples)


def test_full_setting_keeps_every_artwork_and_patterns_filter(dataset: tuple[Path, Path]) -> None:
    data, cache = dataset
    full = _load("multiexpart_full", data, cache, patterns="L-L,en-en")
    assert {pattern_of(s.lang, s.output_lang) for s in full} == {"en-en", "L-L"}
    assert len(full) == 2 + 5  # two en rows (en-en) + four L rows and the fr Night Watch row (L-L)
    assert parse_patterns(None) == ("en-en", "en-L", "L-en", "L-L")
    with pytest.raises(Exception, match="patterns"):
        parse_patterns("en-xx")


def test_langs_and_limit(dataset: tuple[Path, Path]) -> None:
    data, cache = dataset
    only_fr = list(TASK["multiexpart_full"].load(LoadOptions(data=data, images=cache, langs=["fr"])))
    assert {s.meta["article_lang"] for s in only_fr} == {"fr"}
    limited = list(TASK["multiexpart_align5"].load(LoadOptions(data=data, images=cache, limit=4)))
    assert len(limited) == 4 and len({s.lang for s in limited}) > 1


def test_missing_images_are_listed(dataset: tuple[Path, Path], tmp_path: Path) -> None:
    data, _ = dataset
    empty = tmp_path / "empty_cache"
    empty.mkdir()
    with pytest.raises(MissingImagesError) as info:
        _load("multiexpart_full", data, empty)
    assert sorted(info.value.missing) == sorted([URL, "https://example.org/images/The%20Night%20Watch.png"])
    assert "2 images are missing" in str(info.value) and "Mona_Lisa.jpg" in str(info.value)
    skipped = list(TASK["multiexpart_full"].load(LoadOptions(data=data, images=empty, skip_bad_rows=True)))
    assert skipped == []


def test_image_cache_lookup_order(tmp_path: Path) -> None:
    url = "https://example.org/a/b/File%3APainting.JPG?x=1"
    _png(tmp_path / cache_name(url))
    assert ImageCache(tmp_path).resolve(url) == tmp_path / cache_name(url)
    _png(tmp_path / "Painting.JPG")
    assert ImageCache(tmp_path).resolve(url) == tmp_path / "Painting.JPG"
    (tmp_path / "sub").mkdir()
    _png(tmp_path / "sub" / "x.png")
    (tmp_path / "index.tsv").write_text(f"{url}\tsub/x.png\n", encoding="utf-8")
    assert ImageCache(tmp_path).resolve(url) == tmp_path / "sub" / "x.png"


def test_bad_rows_name_file_row_field_and_can_be_skipped(dataset: tuple[Path, Path], tmp_path: Path) -> None:
    data, cache = dataset
    rows = json.loads(data.read_text(encoding="utf-8"))
    rows[2]["template"] = "fr_templateX"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(DataError) as info:
        _load("multiexpart_full", bad, cache)
    assert info.value.row == 3 and info.value.field == "template" and info.value.file == str(bad)
    kept = list(TASK["multiexpart_full"].load(LoadOptions(data=bad, images=cache, skip_bad_rows=True)))
    assert len(kept) == len(_load("multiexpart_full", data, cache)) - 3


def test_jsonl_and_prebuilt_rows(dataset: tuple[Path, Path], tmp_path: Path) -> None:
    data, cache = dataset
    row = json.loads(data.read_text(encoding="utf-8"))[1]  # es
    row |= {"source_lang": "en", "prompt": "Explain the Historia of Mona Lisa. Answer in Spanish."}
    path = tmp_path / "prebuilt.jsonl"
    path.write_text(json.dumps(row, ensure_ascii=False) + "\n", encoding="utf-8")
    samples = _load("multiexpart_full", path, cache)
    assert [(s.lang, s.output_lang, s.prompt) for s in samples] == [("en", "es", row["prompt"])]


def _scored(lang: str, out: str, bleu: float) -> SampleScore:
    return SampleScore(
        f"{lang}-{out}-{bleu}", "multiexpart_align5", lang, "x", {"bleu": bleu}, output_lang=out
    )


def test_aggregate_adds_patterns_and_deltas(monkeypatch: pytest.MonkeyPatch) -> None:
    import babelvlm.tasks.aggregate as aggregate

    monkeypatch.setattr(aggregate, "fidelity", lambda scored, axes: {})
    scored = [
        _scored("en", "en", 30.0),
        _scored("en", "en", 10.0),
        _scored("en", "fr", 5.0),
        _scored("fr", "fr", 8.0),
    ]
    result = TASK["multiexpart_align5"].aggregate(scored, 4)
    assert result.matrix["en"]["en"]["bleu"] == 20.0
    assert result.extra["deltas_vs_en_en"]["en"]["fr"]["bleu"] == -15.0
    assert result.extra["deltas_vs_en_en"]["fr"]["fr"]["bleu"] == -12.0
    assert result.extra["patterns"]["en-L"] == {"bleu": 5.0, "n": 1.0}
    assert result.extra["pattern_deltas_vs_en_en"]["L-L"]["bleu"] == -12.0


def test_score_perfect_and_partial_prediction(dataset: tuple[Path, Path]) -> None:
    data, cache = dataset
    sample = next(s for s in _load("multiexpart_align5", data, cache) if s.id.endswith("en-fr"))
    perfect = TASK["multiexpart_align5"].score(sample, GOLD["fr"])
    assert perfect["entity_coverage_exact"] == 100.0 and perfect["entity_f1"] == 100.0
    assert perfect["bleu"] == pytest.approx(100.0) and perfect["rouge_l"] == pytest.approx(100.0)
    partial = TASK["multiexpart_align5"].score(sample, "Un tableau de Leonardo da Vinci.")
    assert partial["entity_coverage_exact"] == pytest.approx(100 / 3)
    assert partial["output_length"] == 6.0


def _eval(tmp_path: Path, data: Path, cache: Path, model: str, **options: str):  # type: ignore[no-untyped-def]
    from babelvlm.engine.runner import EvalConfig, run_eval

    config = EvalConfig(
        model=model, model_options=dict(options), tasks=["multiexpart_align5"], data=data, images=cache,
        out=tmp_path / model.replace(":", "_"), progress=False, write_report=False,
    )  # fmt: skip
    return run_eval(config)


def test_end_to_end_mock_answer_scores_perfectly(dataset: tuple[Path, Path], tmp_path: Path) -> None:
    data, cache = dataset
    result = _eval(tmp_path, data, cache, "mock:answer").tasks["multiexpart_align5"]
    assert result.n_samples == 13 and result.n_failed == 0
    assert result.scores["entity_coverage_exact"] == 100.0
    assert result.scores["bleu"] == pytest.approx(100.0)
    assert set(result.matrix["en"]) == set(ALIGN5) and result.matrix_axes == ["lang", "output_lang"]
    assert result.extra["deltas_vs_en_en"]["ja"]["ja"]["entity_coverage_exact"] == 0.0
    lines = (tmp_path / "mock_answer" / "samples.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 13 and json.loads(lines[0])["references"]


def test_end_to_end_mock_constant_and_score_command(dataset: tuple[Path, Path], tmp_path: Path) -> None:
    from babelvlm.engine.score_file import score_predictions

    data, cache = dataset
    text = "Leonardo da Vinci."
    result = _eval(tmp_path, data, cache, "mock:constant", text=text).tasks["multiexpart_align5"]
    assert result.matrix["en"]["en"]["entity_coverage_exact"] == pytest.approx(100 / 3)
    assert result.matrix["ja"]["ja"]["entity_coverage_exact"] == 0.0
    samples = _load("multiexpart_align5", data, cache)
    predictions = tmp_path / "predictions.jsonl"
    predictions.write_text("".join(json.dumps({"id": s.id, "prediction": text}) + "\n" for s in samples))
    scored = score_predictions(
        "multiexpart_align5", predictions, data=data, out=tmp_path / "scored", write_report=False
    ).tasks["multiexpart_align5"]
    assert scored.matrix == result.matrix
