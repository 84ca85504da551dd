"""``babelvlm build multiexpart`` on small dumps written here (en, fr, ja): an article without image, sections
on the Appendix F lists, links as entities; the output equals the expected JSON and the task loads it."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner
from wiki_dumps import write_dumps

from babelvlm.builders.multiexpart_split import english_splits, indicators
from babelvlm.builders.wiki_article import commons_url, parse_article
from babelvlm.cli import app
from babelvlm.tasks.base import LoadOptions
from babelvlm.tasks.registry import get_task

EXPECTED = Path(__file__).resolve().parents[1] / "data" / "multiexpart_build_expected.json"


def _build(dumps: list[Path], out: Path) -> None:
    args = ["build", "multiexpart", *(x for d in dumps for x in ("--input", str(d))), "--out", str(out)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output


def test_multiexpart_from_dumps_equals_expected_and_loads(tmp_path: Path) -> None:
    dumps, out = write_dumps(tmp_path / "dumps"), tmp_path / "out"
    _build(dumps, out)
    rows = json.loads((out / "multiexpart_full.json").read_text())
    assert rows == json.loads(EXPECTED.read_text())
    stats = json.loads((out / "stats.json").read_text())
    steps = {s["name"]: s for s in stats["steps"]}
    assert steps["wiki_pages"]["dropped"] == {
        "not an article (namespace)": 1,
        "not an artwork article": 2,
        "redirect": 1,
    }
    assert steps["sections"]["dropped"] == {"no image": 1}
    assert stats["settings"] == {"multiexpart_align10": 0, "multiexpart_align5": 0, "multiexpart_full": 28}
    assert json.loads((out / "multiexpart_align5.json").read_text()) == []
    samples = list(get_task("multiexpart_full").load(LoadOptions(data=out / "multiexpart_full.json")))
    assert {s.meta["pattern"] for s in samples} == {"en-en", "en-L", "L-en", "L-L"}
    en_l = next(s for s in samples if s.meta["pattern"] == "en-L" and s.meta["article_lang"] == "fr")
    assert en_l.prompt == "Focus on Mona Lisa and explain the Abstract. Answer in French."
    first = (out / "multiexpart_full.json").read_text()
    _build([dumps[0].parent], out)  # a folder of dumps; a re-run resumes: finished shards are kept
    assert (out / "multiexpart_full.json").read_text() == first


def test_parse_article_excludes_listed_sections_with_their_children() -> None:
    text = "Lead with [[A]] and [[B|b]].\n== See also ==\n[[C]]\n=== Deeper ===\n[[D]]\n"
    text += "== Style ==\n[[A]] again [[A]]."
    image, sections, excluded = parse_article(text, "en")
    assert image is None and excluded == 1
    assert [(s.path, s.entities) for s in sections] == [(("Abstract",), ["A", "b"]), (("Style",), ["A", "A"])]
    assert commons_url("Mona Lisa.jpg") == "https://upload.wikimedia.org/wikipedia/commons/6/6a/Mona_Lisa.jpg"


def test_english_split_is_2_2_6_with_equal_mean_rank_and_aligned_in_test() -> None:
    names = ("links", "references", "language_versions", "length")
    scores = {f"A{i:02d}": {name: 100 - i for name in names} for i in range(21)}
    splits = english_splits(scores, aligned=["A05"])
    assert splits["A05"] == "test"
    rest = [t for t in sorted(scores) if t != "A05"]  # ranked in this order
    counts = {name: sum(splits[t] == name for t in rest) for name in ("test", "valid", "train")}
    assert counts == {"test": 4, "valid": 4, "train": 12}
    mean = {name: sum(i for i, t in enumerate(rest) if splits[t] == name) / counts[name] for name in counts}
    assert mean["test"] == mean["valid"] == mean["train"] == 9.5
    assert indicators("x [[A]] [[fr:B]] <ref>r</ref> [[C|c]]") == {
        "links": 2, "references": 1, "language_versions": 2, "length": 37,
    }  # fmt: skip


def test_html_dump_ndjson_aligns_by_wikidata_item(tmp_path: Path) -> None:
    from wiki_dumps import JOCONDE, MONA_LISA

    def record(lang: str, title: str, text: str, qid: str) -> str:
        body = {"html": "<p/>", "wikitext": text}
        item = {"name": title, "in_language": {"identifier": lang}, "namespace": {"identifier": 0}}
        item.update(main_entity={"identifier": qid}, article_body=body)
        return json.dumps(item, ensure_ascii=False)

    en = tmp_path / "enwiki_namespace_0_0.ndjson"
    en.write_text(record("en", "Mona Lisa", MONA_LISA.replace("[[fr:La Joconde]]", ""), "Q12418") + "\n")
    fr = tmp_path / "frwiki_namespace_0_0.ndjson"
    fr.write_text(
        record("fr", "La Joconde", JOCONDE, "Q12418") + "\n" + record("fr", "Paris", "Ville.", "Q90") + "\n"
    )
    _build([en, fr], tmp_path / "out")
    rows = json.loads((tmp_path / "out" / "multiexpart_full.json").read_text())
    assert {(r["lang"], r["title"], r["en_title"]) for r in rows} == {
        ("en", "Mona Lisa", "Mona Lisa"), ("fr", "La Joconde", "Mona Lisa"),
    }  # fmt: skip
    expected = [r for r in json.loads(EXPECTED.read_text()) if r["title"] in ("Mona Lisa", "La Joconde")]
    assert rows == expected


def test_broken_dump_is_one_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "enwiki-bad-pages-articles.xml"
    bad.write_text("<mediawiki><page><title>X</title>")
    result = CliRunner().invoke(
        app, ["build", "multiexpart", "--input", str(bad), "--out", str(tmp_path / "o")]
    )
    assert result.exit_code == 2 and "broken XML" in result.output and bad.name in result.output
