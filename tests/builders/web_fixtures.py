"""Small Common Crawl-like WARC files written in the test (warcio): Japanese and English pages whose images
come from a local HTTP server or from the WARC itself, near-duplicates, an NSFW stand-in (a skin-toned
image that the real open_nsfw model scores above 0.1), and broken records."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

JA_SENTENCES = [f"東京の街並みについて説明する{k}番目の文です。" for k in range(30)]
EN_SENTENCES = [f"This is sentence number {k} about the streets of London." for k in range(12)]


def pattern_png(seed: int, width: int, height: int) -> bytes:
    """A blue-tinted 6x6 block pattern: distinct pHash per seed, the same pHash at any size, safe for work."""
    rng = np.random.default_rng(seed)
    small = Image.fromarray((rng.random((6, 6)) * 255).astype("uint8"))
    arr = np.asarray(small.resize((width, height), Image.Resampling.NEAREST).convert("RGB")) * np.array(
        [0.6, 0.9, 1.0]
    )
    buf = io.BytesIO()
    Image.fromarray(arr.astype("uint8")).save(buf, format="PNG")
    return buf.getvalue()


def skin_png(width: int = 300, height: int = 300) -> bytes:
    """The NSFW stand-in: a skin-toned image (open_nsfw scores it about 0.25)."""
    buf = io.BytesIO()
    Image.new("RGB", (width, height), (230, 180, 150)).save(buf, format="PNG")
    return buf.getvalue()


def _page(title: str, sentences: list[str], images: list[tuple[str, str]]) -> str:
    """Paragraphs of three sentences with an image (src, alt) after every second paragraph."""
    parts, queue = (
        [f"<html><head><title>{title}</title><script>var x = 1;</script></head><body>"],
        list(images),
    )
    for k in range(0, len(sentences), 3):
        parts.append("<p>" + "".join(sentences[k : k + 3]) + "</p>")
        if queue and k % 6 == 0:
            src, alt = queue.pop(0)
            parts.append(f'<img src="{src}" alt="{alt}">')
    parts += [f'<img src="{src}" alt="{alt}">' for src, alt in queue] + ["</body></html>"]
    return "".join(parts)


def register_images(images: dict[str, bytes], shard: int) -> None:
    """The images the server serves for one WARC shard."""
    for k in range(6):
        images[f"s{shard}-{k}.png"] = pattern_png(100 * shard + k, 300, 240)
    images[f"s{shard}-big0.png"] = pattern_png(100 * shard, 600, 480)  # a higher-resolution copy of s-0
    images[f"s{shard}-skin.png"] = skin_png()


def _response(writer: WARCWriter, url: str, body: bytes, content_type: str) -> None:
    headers = StatusAndHeaders("200 OK", [("Content-Type", content_type)], protocol="HTTP/1.1")
    writer.write_record(
        writer.create_warc_record(url, "response", payload=io.BytesIO(body), http_headers=headers)
    )


def write_warc(path: Path, base: str, shard: int) -> Path:
    """One WARC of pages (see module docstring); ``base`` is the image server's URL."""
    img = f"{base}/img/s{shard}-"
    site = f"http://site{shard}.example.jp"
    ja1 = _page(
        "一",
        JA_SENTENCES[:12],
        [
            (f"{img}0.png", "東京タワーの夜景です"),
            (f"{img}1.png", "写真 2015-01-20 18 12 33"),
            (f"{site}/warc-image.png", "画像にalt属性が指定されていません。"),
            (f"{img}big0.png", "東京タワーの夜景です"),
            (f"{img}logo.png", "会社のロゴマーク"),
            (f"{img}2.gif", "動く絵のアニメーション"),
        ],
    )
    ja2 = _page(
        "二",
        JA_SENTENCES[12:23],
        [
            (f"{img}3.png", "浅草寺の雷門の写真"),
            (f"{img}4.png", "abc"),
            (f"{img}skin.png", "赤い花の写真です"),
            ("/img/missing.png", "見つからない画像です"),
        ],
    )
    en = _page("en", EN_SENTENCES, [(f"{img}5.png", "Tower Bridge at night"), (f"{img}0.png", "a photo")])
    short = _page(
        "短い",
        JA_SENTENCES[:3],
        [(f"{img}0.png", "短いページの画像です"), (f"{img}3.png", "浅草寺の雷門の写真")],
    )
    with path.open("wb") as stream:
        writer = WARCWriter(stream, gzip=True)
        _response(writer, f"{site}/ja1.html", ja1.encode("utf-8"), "text/html; charset=utf-8")
        _response(writer, f"{site}/warc-image.png", pattern_png(100 * shard + 9, 300, 300), "image/png")
        _response(writer, f"{base}/ja2.html", ja2.encode("shift_jis"), "text/html")  # no charset: detected
        _response(writer, f"{site}/en.html", en.encode("utf-8"), "text/html; charset=utf-8")
        _response(writer, f"{site}/short.html", short.encode("utf-8"), "text/html")
        _response(writer, f"{site}/file.pdf", b"%PDF-1.4", "application/pdf")
    with path.open("ab") as stream:  # a truncated record at the end (a broken download)
        stream.write(b"WARC/1.0\r\nWARC-Type: response\r\nContent-Length: 5000\r\n\r\n<html>cut")
    return path


def write_crawl(folder: Path, images: dict[str, bytes], base: str, shards: int = 2) -> Path:
    """``shards`` WARC files in ``folder`` and their images registered with the server."""
    folder.mkdir(parents=True, exist_ok=True)
    for shard in range(shards):
        register_images(images, shard)
        write_warc(folder / f"part{shard}.warc.gz", base, shard)
    return folder
