"""Readers and page extraction: WAT image links, page and pair lists (JSONL, parquet), bad rows counted,
non-UTF-8 HTML, and the interleaved layout with CLIP on (a tiny random CLIP built in the test)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from image_server import serve_images
from step_harness import run_step
from warcio.warcwriter import WARCWriter
from web_fixtures import write_crawl

from babelvlm.builders.html_extract import ExtractPage, PairsFromPage, extract_page
from babelvlm.builders.run import RunOptions
from babelvlm.builders.web_inputs import AltPairList, PageList, WarcPages, decode_html
from babelvlm.builders.webcorpus import WebcorpusConfig, build_webcorpus


def test_wat_records_give_image_links(tmp_path: Path) -> None:
    envelope = {
        "Envelope": {
            "WARC-Header-Metadata": {"WARC-Target-URI": "http://a.jp/page"},
            "Payload-Metadata": {
                "HTTP-Response-Metadata": {
                    "HTML-Metadata": {
                        "Links": [
                            {"path": "IMG@/src", "url": "http://a.jp/cat.jpg", "alt": "猫の写真です"},
                            {"path": "A@/href", "url": "http://a.jp/next"},
                        ]
                    }
                }
            },
        }
    }
    path = tmp_path / "x.wat.gz"
    with path.open("wb") as stream:
        writer = WARCWriter(stream, gzip=True)
        for payload in (json.dumps(envelope).encode(), b"{broken"):
            record = writer.create_warc_record(
                "http://a.jp/page",
                "metadata",
                payload=io.BytesIO(payload),
                warc_content_type="application/json",
            )
            writer.write_record(record)
    docs, counts = run_step(WarcPages([str(path)]), [])
    assert counts == {"in": 2, "kept": 1, "dropped/bad wat record": 1}
    pairs, _ = run_step(PairsFromPage(), run_step(ExtractPage(), docs)[0])
    assert [(p.text, p.media[0].url) for p in pairs] == [("猫の写真です", "http://a.jp/cat.jpg")]


def test_page_and_pair_lists(tmp_path: Path) -> None:
    pages = tmp_path / "pages.jsonl"
    pages.write_text(
        json.dumps({"url": "http://a.jp/", "html": "<p>本文</p><img src='x.png' alt='説明'>"})
        + "\n{oops\n"
        + json.dumps({"url": "u"})
        + "\n"
    )
    docs, counts = run_step(PageList([str(pages)]), [])
    assert counts == {"in": 3, "kept": 1, "dropped/bad json line": 1, "dropped/row without url/html": 1}
    extracted, _ = run_step(ExtractPage(), docs)
    assert extracted[0].text == "本文" and extracted[0].media[0].url == "http://a.jp/x.png"
    table = tmp_path / "pairs.parquet"
    pq.write_table(pa.table({"image_url": ["http://a.jp/1.jpg", None], "alt": ["東京の夜景", "x"]}), table)
    pairs, counts = run_step(AltPairList([str(table)]), [])
    assert (
        counts == {"in": 2, "kept": 1, "dropped/row without image_url/alt": 1}
        and pairs[0].text == "東京の夜景"
    )


def test_html_decoding_and_extraction_order() -> None:
    html = (
        "<html><body><h1>題</h1><script>x()</script><p>一<b>二</b></p><img src='/a.png'><p>三</p>"
        "</body></html>"
    )
    assert decode_html(html.encode("shift_jis"), "text/html; charset=shift_jis") == html
    with_meta = html.replace("<html>", '<html><head><meta charset="EUC-JP"></head>')
    assert decode_html(with_meta.encode("euc_jp"), "text/html") == with_meta
    blocks, images = extract_page(html, "http://s.jp/dir/page.html")
    assert blocks == ["題", "一 二", "三"] and images == [("http://s.jp/a.png", "", 2)]
    xhtml = '<?xml version="1.0" encoding="Shift_JIS"?>\n' + html
    assert extract_page(xhtml, "http://s.jp/")[0] == blocks


def test_interleaved_with_a_tiny_clip_places_images_by_assignment(tmp_path: Path) -> None:
    from tiny_clip import build_tiny_clip

    clip = build_tiny_clip(tmp_path / "clip")
    with serve_images() as server:
        folder = write_crawl(tmp_path / "crawl", server.images, server.base_url, shards=1)
        config = WebcorpusConfig(clip=(f"hf:{clip}",), kinds=("interleaved",), clip_min_similarity=-1.0)
        stats = build_webcorpus(folder, tmp_path / "out", config, RunOptions())
    rows = {r["name"]: r for r in stats["steps"]}
    assert (
        "skipped" not in rows["interleaved/clip_relevance"]
        and "skipped" not in rows["interleaved/assign_images"]
    )
    assert rows["interleaved/write"]["in"] == 2
    with __import__("tarfile").open(tmp_path / "out" / "interleaved" / "shards" / "00000.tar") as tar:
        records = [
            json.loads(tar.extractfile(m).read()) for m in tar.getmembers() if m.name.endswith(".json")
        ]  # type: ignore[union-attr]
    for rec in records:
        slots = [i for i, text in enumerate(rec["texts"]) if text is None]
        assert len(slots) == len(rec["image_info"]) and all(rec["texts"][s + 1] is not None for s in slots)
        assert all(len(info["url"]) for info in rec["image_info"])
