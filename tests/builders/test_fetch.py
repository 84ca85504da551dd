"""The image fetcher against a local HTTP server: retries, timeouts, size limits, noai, bounded
concurrency, WARC/local sources, every failure a counted reason."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from datatrove.data import Document, Media
from image_server import ImageServer, serve_images
from step_harness import image_bytes, run_step

from babelvlm.builders.fetch import FetchImages, FetchSettings

FAST = FetchSettings(concurrency=4, timeout_s=0.5, retries=2, backoff_s=0.01, max_bytes=200_000)


@pytest.fixture()
def server() -> Iterator[ImageServer]:
    with serve_images() as state:
        state.images["a.png"] = image_bytes(200, 200)
        yield state


def _doc(*urls: str) -> Document:
    return Document(text="", id="page", media=[Media(id=str(i), type=0, url=u) for i, u in enumerate(urls)])


def test_every_outcome_is_counted_with_its_reason(server: ImageServer) -> None:
    base = server.base_url
    paths = [
        "/img/a.png",
        "/404",
        "/flaky/a.png",
        "/429",
        "/slow",
        "/big",
        "/noai/a.png",
        "/html",
        "/img/none.png",
    ]
    doc = _doc(
        *(base + p for p in paths), "ftp://example.org/x.png", "http://127.0.0.1:9/refused.png", "http://[::1"
    )
    out, counts = run_step(FetchImages(FAST), [doc])
    assert [m.url for m in out[0].media] == [base + "/img/a.png", base + "/flaky/a.png"]
    assert out[0].media[0].media_bytes == server.images["a.png"]
    assert counts == {
        "in": 12,
        "kept": 2,
        "dropped/fetch: http 404": 2,
        "dropped/fetch: http 429": 1,
        "dropped/fetch: timeout": 1,
        "dropped/fetch: too large": 1,
        "dropped/fetch: x-robots-tag noai": 1,
        "dropped/fetch: not an image (content-type)": 1,
        "dropped/fetch: not an http url": 1,
        "dropped/fetch: connection error": 1,
        "dropped/fetch: bad url (malformed)": 1,
    }
    assert server.hits["/flaky/a.png"] == 2 and server.hits["/429"] == 3 and server.hits["/404"] == 1


def test_concurrency_is_bounded(server: ImageServer) -> None:
    server.delay_s = 0.05
    settings = FetchSettings(concurrency=3, timeout_s=2.0)
    _out, counts = run_step(
        FetchImages(settings), [_doc(*[f"{server.base_url}/img/a.png?{k}" for k in range(12)])]
    )
    assert counts == {"in": 12, "kept": 12}
    assert 1 < server.max_in_flight <= 3


def test_local_files_and_existing_bytes_are_not_fetched(tmp_path: Path) -> None:
    file = tmp_path / "x.png"
    file.write_bytes(image_bytes(160, 160))
    media = [
        Media(id="f", type=0, url=file.as_uri(), path=str(file)),
        Media(id="b", type=0, url="http://unused.invalid/x.png", media_bytes=b"abc"),
        Media(id="g", type=0, url="file:///gone.png", path=str(tmp_path / "gone.png")),
    ]
    out, counts = run_step(FetchImages(FAST), [Document(text="", id="d", media=media)])
    assert [m.id for m in out[0].media] == ["f", "b"] and out[0].media[0].media_bytes == file.read_bytes()
    assert counts["dropped/fetch: unreadable local image (FileNotFoundError)"] == 1
