"""An img2dataset-style image fetcher as a builder step: asynchronous (httpx), bounded concurrency, retries
with exponential backoff on 429/5xx/timeouts, a timeout and a size limit per image, ``X-Robots-Tag:
noai``/``noimageai`` honoured; every failure is a counted drop with its reason. Images stored in a WARC
record (``media.path`` + ``media.offset``) or in a local file are read from there instead.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx
from datatrove.data import Document, Media

from babelvlm.builders.image_steps import split_url
from babelvlm.builders.steps import MediaFilter

_RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
_OPT_OUT = frozenset({"noai", "noimageai"})


@dataclass(frozen=True)
class FetchSettings:
    """Politeness and limits of the fetcher (img2dataset's defaults in spirit)."""

    concurrency: int = 16
    timeout_s: float = 10.0
    retries: int = 2
    backoff_s: float = 0.5
    max_bytes: int = 20_000_000
    user_agent: str = "babelvlm-builder/0.1 (+https://github.com/babelvlm)"


class FetchFailed(Exception):
    """A fetch that gave no usable image; the message is the drop reason."""


def read_warc_record(path: str, offset: int) -> bytes:
    """The payload of the WARC record at ``offset`` in ``path``."""
    from warcio.archiveiterator import ArchiveIterator

    with open(path, "rb") as stream:
        stream.seek(offset)
        for record in ArchiveIterator(stream):
            return bytes(record.content_stream().read())
    raise FetchFailed("warc record missing")


def _opted_out(headers: httpx.Headers) -> bool:
    values = ",".join(headers.get_list("x-robots-tag")).lower().replace(" ", "")
    return any(token.split(":")[-1] in _OPT_OUT for token in values.split(","))


async def _get_once(client: httpx.AsyncClient, url: str, settings: FetchSettings) -> bytes:
    async with client.stream("GET", url) as response:
        if response.status_code != 200:
            raise FetchFailed(f"http {response.status_code}")
        if _opted_out(response.headers):
            raise FetchFailed("x-robots-tag noai")
        if not response.headers.get("content-type", "image/").lower().startswith("image/"):
            raise FetchFailed("not an image (content-type)")
        if int(response.headers.get("content-length", 0) or 0) > settings.max_bytes:
            raise FetchFailed("too large")
        chunks, size = [], 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > settings.max_bytes:
                raise FetchFailed("too large")
            chunks.append(chunk)
        return b"".join(chunks)


async def fetch_url(client: httpx.AsyncClient, url: str, settings: FetchSettings) -> bytes:
    """GET one image with retries (429, 5xx, timeouts, connection errors) and exponential backoff."""
    last = "fetch failed"
    for attempt in range(settings.retries + 1):
        if attempt:
            await asyncio.sleep(settings.backoff_s * 2 ** (attempt - 1))
        try:
            return await _get_once(client, url, settings)
        except FetchFailed as exc:
            last = str(exc)
            if not any(last == f"http {s}" for s in _RETRY_STATUS):
                raise
        except httpx.TimeoutException:
            last = "timeout"
        except httpx.TransportError:
            last = "connection error"
    raise FetchFailed(last)


async def fetch_all(urls: Sequence[str], settings: FetchSettings) -> list[bytes | str]:
    """Fetch every URL with at most ``settings.concurrency`` in flight: bytes, or the failure reason."""
    limit = asyncio.Semaphore(settings.concurrency)
    timeout = httpx.Timeout(settings.timeout_s)
    headers = {"User-Agent": settings.user_agent}

    async with httpx.AsyncClient(timeout=timeout, headers=headers, follow_redirects=True) as client:

        async def one(url: str) -> bytes | str:
            async with limit:
                try:
                    return await fetch_url(client, url, settings)
                except FetchFailed as exc:
                    return str(exc)
                except (httpx.HTTPError, httpx.InvalidURL, ValueError, UnicodeError) as exc:
                    return f"bad url ({type(exc).__name__})"  # malformed URLs and other client-side errors

        return list(await asyncio.gather(*(one(u) for u in urls)))


def _local_bytes(media: Media) -> bytes | str | None:
    """Bytes from a WARC record or a local file, a failure reason, or None when the URL must be fetched."""
    try:
        if media.path is not None and media.offset is not None:
            return read_warc_record(media.path, media.offset)
        if media.path is not None:
            return Path(media.path).read_bytes()
    except (OSError, FetchFailed, ValueError) as exc:
        return f"unreadable local image ({type(exc).__name__})"
    return None


class FetchImages(MediaFilter):
    """Attach each image's bytes (``media.media_bytes``): from the document's WARC, a local file, or the
    web (see module docstring). Images already holding bytes pass unchanged."""

    name = "fetch_images"
    batch_size = 64

    def __init__(self, settings: FetchSettings | None = None) -> None:
        super().__init__()
        self.settings = settings or FetchSettings()

    def check(self, media: Media, doc: Document) -> str | None:
        return self.check_batch([(media, doc)])[0]

    def check_batch(self, items: Sequence[tuple[Media, Document]]) -> list[str | None]:
        results: list[bytes | str | None] = [
            m.media_bytes if m.media_bytes else _local_bytes(m) for m, _ in items
        ]
        todo = [i for i, r in enumerate(results) if r is None]
        for i in todo:
            parts = split_url(items[i][0].url)
            if parts is None or parts.scheme not in ("http", "https"):
                results[i] = "bad url (malformed)" if parts is None else "not an http url"
        web = [i for i in todo if results[i] is None]
        if web:
            fetched = asyncio.run(fetch_all([items[i][0].url for i in web], self.settings))
            for i, value in zip(web, fetched, strict=True):
                results[i] = value
        verdicts: list[str | None] = []
        for (media, _), result in zip(items, results, strict=True):
            if isinstance(result, bytes):
                media.media_bytes = result
                verdicts.append(None)
            else:
                verdicts.append(f"fetch: {result}")
        return verdicts
