"""``babelvlm build multiexpart``: MediaWiki XML dumps -> the MultiExpArt JSON of Appendix K (seed 000
section 4, Appendix F; SPEC 1) for the full, alignment-10 and alignment-5 settings.

1. Index (``wiki_dump.build_index``): English artwork articles (infobox) and the pages of the other
   languages aligned to them by interlanguage links (exact English title).
2. Pipeline (builders framework, streamed, resumable by shard): ``WikiArticles`` reads the dumps and keeps
   aligned articles (others dropped with a reason), ``ArticleSections`` parses each (``wiki_article``;
   no image -> dropped), ``ArticleWriter`` writes ``parts/NNNNN.jsonl``.
3. Assembly: one row per (article, section path, template 1-4) with the language's template, written as
   ``multiexpart_full.json`` (every article), ``multiexpart_align10.json`` and ``multiexpart_align5.json``
   (artworks present in all 10 / en es fr it ja, with the English article's image).
Rows carry ``split`` (``multiexpart_split``: English train/valid/test 2:2:6 by popularity, everything else
test). Not reproduced: the paper's manual check that aligned images show the same artwork.
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any, ClassVar

from datatrove.data import Document

from babelvlm.atomic import write_text_atomic
from babelvlm.builders.multiexpart_split import english_splits, indicators
from babelvlm.builders.run import RunOptions, run_pipeline
from babelvlm.builders.steps import IN, KEPT, Drop, Reader, Step, Transform
from babelvlm.builders.wiki_article import commons_url, parse_article
from babelvlm.builders.wiki_dump import AlignmentIndex, build_index, iter_pages
from babelvlm.errors import ConfigError
from babelvlm.tasks.multiexpart import SETTINGS
from babelvlm.tasks.multiexpart_prompts import render

TEMPLATES = ("1", "2", "3", "4")
LEAD_EN = "Abstract"
"""The English name of the lead section (Appendix K), given to every language's lead as ``en_section`` so
the en-L pattern asks about it in English."""


class WikiArticles(Reader):
    """Dump pages -> documents for the articles aligned to an English artwork (``index``)."""

    name = "wiki_pages"
    unit: ClassVar[str] = "pages"

    def __init__(self, paths: list[str], index_file: str) -> None:
        super().__init__(paths)
        self.index_file = index_file
        self._index: AlignmentIndex | None = None

    def _aligned(self) -> AlignmentIndex:
        if self._index is None:
            data = json.loads(Path(self.index_file).read_text("utf-8"))
            self._index = AlignmentIndex(set(data["artworks"]), data["aligned"])
        return self._index

    def read(self, path: str) -> Iterator[Document | Drop]:
        index = self._aligned()
        for page in iter_pages(Path(path)):
            en_title = index.en_title(page.lang, page.title)
            if page.ns != 0:
                yield Drop("not an article (namespace)")
            elif page.redirect:
                yield Drop("redirect")
            elif en_title is None:
                yield Drop("not an artwork article")
            else:
                meta = {"lang": page.lang, "title": page.title, "en_title": en_title}
                yield Document(text=page.text, id=f"{page.lang}:{page.title}", metadata=meta)


class ArticleSections(Transform):
    """Article wikitext -> image URL and informative sections (Appendix F lists); no image -> dropped."""

    name = "sections"
    unit: ClassVar[str] = "articles"

    def apply(self, doc: Document) -> Document | Drop:
        image, sections, excluded = parse_article(doc.text, doc.metadata["lang"])
        if image is None:
            return Drop("no image")
        if not sections:
            return Drop("no informative section")
        meta = {**doc.metadata, "image_url": commons_url(image), "excluded_sections": excluded}
        meta["indicators"] = indicators(doc.text)
        meta["sections"] = [
            {"path": list(s.path), "text": s.text, "entities": s.entities, "lead": s.lead} for s in sections
        ]
        return Document(text="", id=doc.id, metadata=meta)


class ArticleWriter(Step):
    """Writes the shard's articles to ``parts/NNNNN.jsonl`` (renamed into place when the shard ends)."""

    name = "write"
    unit: ClassVar[str] = "articles"

    def __init__(self, out: str) -> None:
        super().__init__()
        self.out = out

    def run_counted(self, data: Iterable[Document], rank: int, world_size: int) -> Iterator[Document]:
        target = Path(self.out) / "parts" / f"{rank:05d}.jsonl"
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(target.name + ".tmp")
        with tmp.open("w", encoding="utf-8") as handle:
            for doc in data:
                self.count(IN)
                self.count(KEPT)
                handle.write(json.dumps(doc.metadata, ensure_ascii=False) + "\n")
        os.replace(tmp, target)
        return
        yield  # a writer emits nothing


def _articles(out: Path) -> Iterator[dict[str, Any]]:
    for part in sorted((out / "parts").glob("*.jsonl")):
        with part.open(encoding="utf-8") as handle:
            yield from (json.loads(line) for line in handle if line.strip())


def article_rows(
    article: dict[str, Any], text_id: int, en_image_url: str, split: str
) -> Iterator[dict[str, Any]]:
    """The Appendix K rows of one article: every section path x templates 1-4, in the article's language."""
    lang, title = article["lang"], article["title"]
    for section in article["sections"]:
        path = section["path"]
        level = ("section", "subsection", "subsubsection")[len(path) - 1]
        slots = dict(zip(("section", "subsection", "subsubsection"), path, strict=False))
        english = {"en_section": LEAD_EN} if section.get("lead") and lang != "en" else {}
        for number in TEMPLATES:
            yield {
                "text_id": text_id, "title": title, "en_title": article["en_title"], "lang": lang,
                "source_lang": lang, "target_lang": lang, "image_url": article["image_url"],
                "en_image_url": en_image_url, "template": f"{lang}_template{number}_{level}",
                "prompt": render(lang, number, level, {**slots, "title": title}),
                "gold": section["text"], "gold_entity": section["entities"], **slots, **english,
                "split": split,
            }  # fmt: skip


class _JsonListWriter:
    """Writes a JSON list one row at a time (never the whole list in memory), atomically."""

    def __init__(self, path: Path) -> None:
        self.path, self.tmp = path, path.with_name(path.name + ".tmp")
        self.handle: IO[str] = self.tmp.open("w", encoding="utf-8")
        self.handle.write("[")
        self.rows = 0

    def add(self, row: dict[str, Any]) -> None:
        self.handle.write(("\n" if self.rows == 0 else ",\n") + json.dumps(row, ensure_ascii=False))
        self.rows += 1

    def close(self) -> None:
        self.handle.write("\n]\n")
        self.handle.close()
        os.replace(self.tmp, self.path)


def assemble(out: Path) -> dict[str, int]:
    """Write the three settings' JSON files from the parts; returns the row count of each."""
    langs_of: dict[str, set[str]] = defaultdict(set)
    en_images: dict[str, str] = {}
    en_indicators: dict[str, dict[str, int]] = {}
    for article in _articles(out):  # first pass: titles, languages and English indicators only
        langs_of[article["en_title"]].add(article["lang"])
        if article["lang"] == "en":
            en_images[article["en_title"]] = article["image_url"]
            en_indicators[article["en_title"]] = article["indicators"]
    text_ids = {title: i for i, title in enumerate(sorted(langs_of), start=1)}
    aligned = {t for t, langs in langs_of.items() for s in SETTINGS if s.aligned and set(s.langs) <= langs}
    splits = english_splits(en_indicators, aligned)
    writers = {s.task: _JsonListWriter(out / f"{s.task}.json") for s in SETTINGS}
    for article in _articles(out):
        title = article["en_title"]
        for setting in SETTINGS:
            if setting.aligned and not (
                set(setting.langs) <= langs_of[title] and article["lang"] in setting.langs
            ):
                continue
            image = en_images.get(title, article["image_url"])
            split = splits.get(title, "test") if article["lang"] == "en" and not setting.aligned else "test"
            for row in article_rows(article, text_ids[title], image, split):
                writers[setting.task].add(row)
    counts = {}
    for task, writer in writers.items():
        writer.close()
        counts[task] = writer.rows
    return counts


def dump_files(inputs: list[Path]) -> list[Path]:
    """The dump files given: files as they are, folders expanded to their ``*.xml*`` / ``*.ndjson*`` files."""
    files: list[Path] = []
    for path in inputs:
        if path.is_dir():
            files.extend(sorted(p for p in path.iterdir() if ".xml" in p.suffixes or ".ndjson" in p.suffixes))
        elif path.is_file():
            files.append(path)
        else:
            raise ConfigError(f"--input {path} does not exist (fix: give dump files or a folder of them)")
    if not files:
        raise ConfigError("no dump file given (fix: --input enwiki-...-pages-articles.xml.bz2 ...)")
    return files


def build_multiexpart(dumps: list[Path], out: Path, options: RunOptions | None = None) -> dict[str, Any]:
    """Index, pipeline and assembly (see the module docstring); returns ``stats.json`` with the settings'
    row counts under ``settings``. ``dumps`` may name folders of dumps."""
    dumps = dump_files(dumps)
    out.mkdir(parents=True, exist_ok=True)
    langs = {lang for s in SETTINGS for lang in s.langs}
    index = build_index(dumps, langs)
    write_text_atomic(out / "index.json", json.dumps(index.to_json(), ensure_ascii=False) + "\n")
    steps = [
        WikiArticles([str(p) for p in dumps], str(out / "index.json")),
        ArticleSections(),
        ArticleWriter(str(out)),
    ]
    stats = run_pipeline(steps, out, options or RunOptions())
    stats["settings"] = assemble(out)
    write_text_atomic(out / "stats.json", json.dumps(stats, indent=2, ensure_ascii=False) + "\n")
    return stats
