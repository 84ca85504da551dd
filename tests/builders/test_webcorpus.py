"""End to end: ``build_webcorpus`` on WARC files written here, images from a local HTTP server."""

from __future__ import annotations

import json
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from image_server import ImageServer, serve_images
from web_fixtures import write_crawl

from babelvlm.builders.fetch import FetchSettings
from babelvlm.builders.run import RunOptions
from babelvlm.builders.webcorpus import WebcorpusConfig, build_webcorpus

FAST = FetchSettings(concurrency=8, timeout_s=2.0, retries=1, backoff_s=0.01)


@pytest.fixture()
def web(tmp_path: Path) -> Iterator[tuple[ImageServer, Path]]:
    with serve_images() as server:
        folder = write_crawl(tmp_path / "crawl", server.images, server.base_url)
        yield server, folder


def _rows(stats: dict, pipeline: str) -> dict[str, dict]:
    return {r["name"]: r for r in stats["pipelines"][pipeline]["steps"]}


def test_interleaved_and_pairs_from_warc(web: tuple[ImageServer, Path], tmp_path: Path) -> None:
    _, folder = web
    out = tmp_path / "out"
    stats = build_webcorpus(folder, out, WebcorpusConfig(fetch=FAST), RunOptions(tasks=2))
    for row in stats["steps"]:
        assert row["in"] == row["kept"] + sum(row["dropped"].values()), row
    inter = _rows(stats, "interleaved")
    assert inter["read_warc"]["kept"] == 8 and inter["read_warc"]["dropped"] == {
        "broken warc record": 2,
        "not html": 2,
    }
    assert inter["url_keywords"]["dropped"] == {"url has 'logo'": 2}
    assert inter["url_extension"]["dropped"] == {"extension not jpg/jpeg/png": 2}
    assert inter["fetch_images"]["dropped"] == {"fetch: http 404": 2}
    assert inter["phash_dedup_in_document"]["dropped"] == {"near-duplicate in document": 2}
    assert inter["nsfw"]["dropped"] == {"nsfw>0.1": 2}
    assert inter["language"]["dropped"] == {"language en": 2}
    assert inter["document_shape"]["dropped"] == {"sentences<10": 2}
    assert inter["write"]["in"] == 4
    assert "interleaved/clip_relevance: no CLIP model given (--clip hf:DIR)" in stats["skipped_steps"]
    docs = _read_tar(out / "interleaved" / "shards" / "00000.tar")
    first = next(d for d in docs.values() if len(d["json"]["texts"]) == 15)
    assert [i for i in first["json"]["images"] if i is not None] == [0, 1, 2]
    info = {i["url"].rsplit("/", 1)[-1]: i for i in first["json"]["image_info"]}
    assert sorted(info) == ["s0-1.png", "s0-big0.png", "warc-image.png"]  # s0-0 kept as its 600px copy
    assert (
        info["s0-big0.png"]["width"] == 600 and info["warc-image.png"]["height"] == 300
    )  # read from the WARC
    assert first["json"]["texts"][0] == "東京の街並みについて説明する0番目の文です。"
    assert len(docs[next(iter(docs))]) == 4  # KEY.json + KEY.0.png ... KEY.2.png
    pairs = _rows(stats, "pairs")
    assert pairs["alt_screenshot_name"]["dropped"] == {"screenshot name": 2}
    assert pairs["alt_placeholder"]["dropped"] == {"placeholder": 2}
    assert pairs["alt_script"]["dropped"]["no ja script"] == 6
    captions = sorted(
        d["json"]["caption"] for d in _read_tar(out / "pairs" / "shards" / "00001.tar").values()
    )
    assert "浅草寺の雷門の写真" in captions and "赤い花の写真です" not in captions
    rejects = [json.loads(x) for x in (out / "interleaved" / "rejects" / "00000.jsonl").open()]
    assert {"step": "nsfw", "reason": "nsfw>0.1"}.items() <= next(
        r for r in rejects if r["step"] == "nsfw"
    ).items()
    manifest = json.loads((out / "pairs" / "manifest.json").read_text())
    assert manifest["samples"] == pairs["write"]["in"]


def _read_tar(path: Path) -> dict[str, dict]:
    samples: dict[str, dict] = {}
    with tarfile.open(path) as tar:
        for member in tar.getmembers():
            key, _, ext = member.name.partition(".")
            data = tar.extractfile(member).read()  # type: ignore[union-attr]
            samples.setdefault(key, {})[ext] = json.loads(data) if ext == "json" else data
    return samples
