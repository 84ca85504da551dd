"""gap_tables: cell means, drops to the reference cell, seeded bootstrap CIs, significance."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from babelvlm.analysis.gaps import gap_tables, reference_cell
from babelvlm.errors import ConfigError
from babelvlm.schema import SampleScore

GOLDEN = Path(__file__).parent.parent / "data" / "gaps_golden.json"


def _s(i: int, q: str, img: str, v: float | None, error: str | None = None) -> SampleScore:
    return SampleScore(
        sample_id=str(i),
        task="t",
        lang=q,
        image_lang=img,
        output_lang=img,
        prediction="x",
        scores={"acc": v},
        error=error,
    )


def _matrix() -> list[SampleScore]:
    # en-en: 4/4 correct, fr-en: 1/4, fr-fr: 3/4, en-fr: 2/4
    rows = [
        ("en", "en", [1, 1, 1, 1]),
        ("fr", "en", [1, 0, 0, 0]),
        ("fr", "fr", [1, 1, 1, 0]),
        ("en", "fr", [1, 1, 0, 0]),
    ]
    out, i = [], 0
    for q, img, vals in rows:
        for v in vals:
            out.append(_s(i, q, img, float(v)))
            i += 1
    return out


def test_cell_means_and_drops_match_hand_values() -> None:
    t = gap_tables(_matrix(), ("lang", "image_lang"), "acc", seed=0)
    assert t["cells"]["en"]["en"]["mean"] == 1.0 and t["cells"]["fr"]["en"]["n"] == 4
    g = t["gaps"]["fr"]["en"]  # reference = en-en (same-language diagonal of the image language)
    assert g["reference"] == ["en", "en"]
    assert g["abs"] == pytest.approx(0.75)
    assert g["rel"] == pytest.approx(0.75)
    g2 = t["gaps"]["en"]["fr"]  # reference = fr-fr: 0.75 - 0.5
    assert g2["reference"] == ["fr", "fr"] and g2["abs"] == pytest.approx(0.25)
    assert g2["rel"] == pytest.approx(0.25 / 0.75)
    assert "en" not in t["gaps"].get("en", {})  # the reference cell has no gap to itself


def test_golden_file_agrees() -> None:
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    t = gap_tables(_matrix(), ("lang", "image_lang"), "acc", seed=0)
    for case in golden["cases"]:
        got = t["gaps"][case["row"]][case["col"]]
        assert got["abs"] == pytest.approx(case["abs"]) and got["rel"] == pytest.approx(case["rel"])


def test_bootstrap_is_seeded_reproducible_and_order_free() -> None:
    data = _matrix()
    a = gap_tables(data, ("lang", "image_lang"), "acc", seed=3)
    b = gap_tables(list(reversed(data)), ("lang", "image_lang"), "acc", seed=3)
    assert a == b
    c = gap_tables(data, ("lang", "image_lang"), "acc", seed=4)
    assert c["gaps"]["en"]["fr"]["abs_ci"] != a["gaps"]["en"]["fr"]["abs_ci"]
    json.dumps(a)  # JSON-ready


def test_ci_brackets_the_mean_and_constant_cell_has_zero_width() -> None:
    t = gap_tables(_matrix(), ("lang", "image_lang"), "acc", seed=0)
    lo, hi = t["cells"]["fr"]["fr"]["ci"]
    assert 0.0 <= lo <= 0.75 <= hi <= 1.0
    assert t["cells"]["en"]["en"]["ci"] == [1.0, 1.0]


def test_significance() -> None:
    big = [_s(i, "en", "en", 1.0) for i in range(200)] + [
        _s(1000 + i, "fr", "en", float(i % 5 == 0)) for i in range(200)
    ]
    t = gap_tables(big, ("lang", "image_lang"), "acc")
    assert t["gaps"]["fr"]["en"]["significant"] is True
    lo, hi = t["gaps"]["fr"]["en"]["abs_ci"]
    assert 0.0 < lo <= 0.8 <= hi
    same = [_s(i, "en", "en", float(i % 2)) for i in range(40)] + [
        _s(100 + i, "fr", "en", float(i % 2)) for i in range(40)
    ]
    t2 = gap_tables(same, ("lang", "image_lang"), "acc")
    assert t2["gaps"]["fr"]["en"]["abs"] == pytest.approx(0.0)
    assert t2["gaps"]["fr"]["en"]["significant"] is False


def test_failed_and_undefined_values_are_left_out() -> None:
    data = [*_matrix(), _s(99, "en", "en", None), _s(98, "en", "en", 0.0, error="timeout")]
    t = gap_tables(data, ("lang", "image_lang"), "acc")
    assert t["cells"]["en"]["en"] == {"mean": 1.0, "n": 4, "ci": [1.0, 1.0]}


def test_instruction_output_matrix_uses_en_en() -> None:
    cells = {("en", "en"), ("fr", "fr"), ("fr", "de")}
    assert reference_cell("fr", "fr", ("lang", "output_lang"), cells) == ("en", "en")
    assert reference_cell("fr", "de", ("lang", "image_lang"), cells) == ("de", "de")
    data = [_s(i, "en", "en", 1.0) for i in range(4)] + [_s(10 + i, "fr", "fr", 0.5) for i in range(4)]
    t = gap_tables(data, ("lang", "output_lang"), "acc")
    assert t["gaps"]["fr"]["fr"]["reference"] == ["en", "en"]
    assert t["gaps"]["fr"]["fr"]["abs"] == pytest.approx(0.5)


def test_zero_reference_has_no_relative_drop_and_bad_axis_is_an_error() -> None:
    data = [_s(0, "en", "en", 0.0), _s(1, "fr", "en", 0.0)]
    t = gap_tables(data, ("lang", "image_lang"), "acc")
    assert t["gaps"]["fr"]["en"]["rel"] is None
    with pytest.raises(ConfigError, match="matrix axis"):
        gap_tables(data, ("lang", "colour"), "acc")
    with pytest.raises(ConfigError, match="n_boot"):
        gap_tables(data, ("lang", "image_lang"), "acc", n_boot=1)


def _paired(n: int = 60, seed: int = 1) -> list[SampleScore]:
    """The same n items asked in English and French (ids "en/i", "fr/i"): item difficulty varies a lot,
    French loses a small, steady 0.05 on every item - the case a paired bootstrap resolves."""
    import random

    rng = random.Random(seed)
    out = []
    for i in range(n):
        base = rng.random()
        for lang, value in (("en", base), ("fr", max(0.0, base - 0.05))):
            out.append(
                SampleScore(f"{lang}/{i}", "t", lang, "x", {"acc": value}, output_lang="en", image_lang="en")
            )
    return out


def test_paired_bootstrap_is_narrower_than_independent_and_says_so() -> None:
    data = _paired()
    paired = gap_tables(data, ("lang", "image_lang"), "acc", seed=0)["gaps"]["fr"]["en"]
    assert paired["method"] == "paired (60 items)" and paired["n"] == 60 and paired["n_reference"] == 60
    # the same values with item ids that no longer match across languages: independent resampling
    unpaired = [
        SampleScore(f"{s.lang}-only/{s.sample_id}", s.task, s.lang, "x", s.scores, image_lang="en")
        for s in data
    ]
    for s in unpaired:
        s.meta["item_id"] = s.sample_id
    independent = gap_tables(unpaired, ("lang", "image_lang"), "acc", seed=0)["gaps"]["fr"]["en"]
    assert independent["method"] == "independent"
    assert paired["abs"] == pytest.approx(independent["abs"])
    width = lambda g: g["abs_ci"][1] - g["abs_ci"][0]  # noqa: E731
    assert width(paired) < width(independent) / 3
    assert paired["significant"] and not independent["significant"]


def test_results_do_not_depend_on_sample_order() -> None:
    import random

    data = _paired(25)
    shuffled = data[:]
    random.Random(7).shuffle(shuffled)
    assert gap_tables(data, ("lang", "image_lang"), "acc", seed=5) == gap_tables(
        shuffled, ("lang", "image_lang"), "acc", seed=5
    )


def test_gaps_against_both_references_with_n_per_cell() -> None:
    rows = [("en", "en", 1.0), ("fr", "fr", 0.8), ("en", "fr", 0.6), ("fr", "en", 0.4)]
    data = [
        SampleScore(f"item{i}:{q}-{o}", "t", q, "x", {"acc": v - 0.01 * i}, output_lang=o)
        for i in range(5)
        for q, o, v in rows
    ]
    t = gap_tables(data, ("lang", "output_lang"), "acc")
    diagonal, english = t["gaps_by_reference"]["diagonal"], t["gaps_by_reference"]["en-en"]
    assert diagonal["en"]["fr"]["reference"] == ["fr", "fr"] and diagonal["en"]["fr"]["abs"] == pytest.approx(
        0.2
    )
    assert english["en"]["fr"]["reference"] == ["en", "en"] and english["en"]["fr"]["abs"] == pytest.approx(
        0.4
    )
    assert english["fr"]["fr"]["abs"] == pytest.approx(0.2) and "fr" not in diagonal.get("fr", {})
    assert t["gaps"]["fr"]["fr"] == english["fr"]["fr"]  # instruction x output: the task's reference is en-en
    assert all(g["method"] == "paired (5 items)" and g["n"] == 5 for g in english["fr"].values())
    assert t["cells"]["fr"]["en"]["n"] == 5


def test_partly_shared_items_are_paired_over_the_shared_ones() -> None:
    en = [SampleScore(f"en/{i}", "t", "en", "x", {"acc": 1.0}, image_lang="en") for i in range(6)]
    fr = [
        SampleScore(f"fr/{i}", "t", "fr", "x", {"acc": 0.0 if i < 2 else 1.0}, image_lang="en")
        for i in range(4)
    ]
    gap = gap_tables(en + fr, ("lang", "image_lang"), "acc")["gaps"]["fr"]["en"]
    assert gap["method"] == "paired (4 items)" and gap["n_unpaired"] == 2
    assert gap["abs"] == pytest.approx(0.5)


def test_item_ids_drop_the_cell_languages() -> None:
    from babelvlm.analysis.gaps import item_id

    s = SampleScore("babeltext-0-0003-ja-en", "t", "en", "x", {}, image_lang="ja")
    assert item_id(s, ("lang", "image_lang")) == "babeltext/0/0003"
    assert item_id(SampleScore("fr/12", "t", "fr", "x", {}, image_lang="en"), ("lang", "image_lang")) == "12"
    assert item_id(SampleScore("x", "t", "fr", "x", {}, meta={"item_id": 7}), ("lang", "image_lang")) == "7"
