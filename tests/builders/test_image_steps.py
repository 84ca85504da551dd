"""Image steps at their thresholds (LLM-jp-3 VILA appendix A.1) and decoding of bad images."""

from __future__ import annotations

import io

import pytest
from datatrove.data import Document, Media
from PIL import Image
from step_harness import image_bytes, image_doc, run_step

from babelvlm.builders.image_steps import (
    AspectRatio,
    DecodeImage,
    DomainCap,
    MinSide,
    UrlExtension,
    UrlKeywords,
)


def _url_doc(*urls: str) -> Document:
    return Document(text="", id="u", media=[Media(id=u, type=0, url=u) for u in urls])


def test_url_extension_keeps_only_jpg_jpeg_png() -> None:
    doc = _url_doc(
        "http://[::1/x.png",
        "http://a/x.JPG",
        "http://a/x.jpeg?w=2",
        "http://a/x.png",
        "http://a/x.gif",
        "http://a/x",
        "http://a/x.webp",
    )
    out, counts = run_step(UrlExtension(), [doc])
    assert [m.url for m in out[0].media] == ["http://a/x.JPG", "http://a/x.jpeg?w=2", "http://a/x.png"]
    assert counts["dropped/extension not jpg/jpeg/png"] == 3 and counts["dropped/malformed url"] == 1


@pytest.mark.parametrize("word", ["logo", "button", "icon", "plugin", "widget"])
def test_url_keywords_skip_each_word(word: str) -> None:
    assert (
        UrlKeywords().check(
            Media(id="m", type=0, url=f"http://a/site-{word.upper()}-1.png"), Document("", "d")
        )
        == f"url has '{word}'"
    )
    assert UrlKeywords().check(Media(id="m", type=0, url="http://a/photo.png"), Document("", "d")) is None


@pytest.mark.parametrize(
    ("w", "h", "reason"), [(149, 400, "side<150"), (150, 150, None), (151, 200, None), (300, 149, "side<150")]
)
def test_min_side(w: int, h: int, reason: str | None) -> None:
    doc = image_doc((w, h))
    assert MinSide().check(doc.media[0], doc) == reason


@pytest.mark.parametrize(
    ("w", "h", "reason"),
    [
        (149, 300, "aspect<0.5"),
        (150, 300, None),
        (151, 300, None),
        (399, 200, None),
        (400, 200, None),
        (401, 200, "aspect>2.0"),
    ],
)
def test_aspect_ratio(w: int, h: int, reason: str | None) -> None:
    doc = image_doc((w, h))
    assert AspectRatio().check(doc.media[0], doc) == reason


def test_domain_cap_keeps_the_first_per_domain() -> None:
    doc = _url_doc(
        "http://a.com/1.jpg",
        "http://a.com/2.jpg",
        "http://a.com/3.jpg",
        "http://b.com/1.jpg",
        "file:///x.jpg",
    )
    out, counts = run_step(DomainCap(max_per_domain=2), [doc])
    assert [m.url for m in out[0].media] == [
        "http://a.com/1.jpg",
        "http://a.com/2.jpg",
        "http://b.com/1.jpg",
        "file:///x.jpg",
    ]
    assert counts["dropped/domain over 2"] == 1


def _bomb() -> bytes:
    """A small PNG that claims 20000 x 20000 pixels (a decompression bomb)."""
    buf = io.BytesIO()
    Image.new("1", (20000, 20000)).save(buf, format="PNG")
    return buf.getvalue()


def test_decode_records_size_and_drops_bad_images() -> None:
    gif = io.BytesIO()
    Image.new("RGB", (200, 200)).save(gif, format="GIF")
    good = image_bytes(300, 200)
    payloads = [good, b"\x89PNG\r\n\x1a\nbroken", gif.getvalue(), _bomb(), b"", good[: len(good) // 2]]
    media = [Media(id=str(i), type=0, url="http://a/x.png", media_bytes=p) for i, p in enumerate(payloads)]
    out, counts = run_step(DecodeImage(max_pixels=10_000_000), [Document("", "d", media=media)])
    assert [m.id for m in out[0].media] == ["0"]
    assert out[0].media[0].metadata == {"width": 300, "height": 200, "format": "PNG"}
    assert counts == {
        "in": 6,
        "kept": 1,
        "dropped/corrupt image": 2,
        "dropped/image type not jpeg/png": 1,
        "dropped/too many pixels": 1,
        "dropped/no image bytes": 1,
    }
