"""Sample -> Request: read and validate the images, and compute the cache key.

The cache key is what makes runs resumable: two requests with the same key would get the same answer,
so a finished key is never sent again. It hashes everything that can change an answer and nothing else.
"""

from __future__ import annotations

import hashlib
import json
import struct

from babelvlm.errors import DataError
from babelvlm.images import check_image_bytes
from babelvlm.schema import Request, Sample

KEY_VERSION = "1"
"""Bump when the key's recipe changes (old stores then simply miss the cache)."""


def cache_key(
    fingerprint: str,
    prompt: str,
    images: list[bytes],
    max_new_tokens: int,
    temperature: float,
    references: list[str] | None = None,
) -> str:
    """sha256 over (key version, model fingerprint, prompt, each image's bytes, generation params).

    Every part is length-prefixed so that no two different inputs can concatenate to the same bytes.
    """
    h = hashlib.sha256()

    def part(data: bytes) -> None:
        h.update(struct.pack(">Q", len(data)))
        h.update(data)

    part(KEY_VERSION.encode())
    part(fingerprint.encode())
    part(prompt.encode())
    h.update(struct.pack(">Q", len(images)))
    for image in images:
        part(image)
    part(f"max_new_tokens={max_new_tokens};temperature={temperature!r}".encode())
    if references is not None:  # only for backends that read them (mock:answer); real models never do
        part(json.dumps(references, ensure_ascii=False).encode())
    return h.hexdigest()


def read_sample_images(sample: Sample, max_pixels: int | None = None) -> list[bytes]:
    """Read every image of ``sample`` and validate it (format, pixel limit); DataError names the source."""
    out: list[bytes] = []
    for i, ref in enumerate(sample.images):
        source = ref.source or ref.path or f"{sample.task} sample '{sample.id}' image {i + 1}"
        try:
            data = ref.read_bytes()
        except FileNotFoundError as exc:
            raise DataError(
                f"image {source}: file not found ({ref.path})",
                fix="check the image path (relative paths are resolved against the data file)",
            ) from exc
        except (OSError, ValueError) as exc:
            raise DataError(f"image {source}: cannot be read ({exc})", fix="check the file") from exc
        check_image_bytes(data, source, max_pixels)
        out.append(data)
    return out


def build_request(
    sample: Sample,
    fingerprint: str,
    *,
    temperature: float = 0.0,
    max_pixels: int | None = None,
    with_references: bool = False,
) -> Request:
    """The request a backend receives for ``sample`` (images read and validated, cache key computed).

    ``with_references`` puts the references into the key, for backends whose answer depends on them
    (``ModelAPI.reads_references``: mock:answer), so two samples that differ only there are not merged.
    """
    images = read_sample_images(sample, max_pixels)
    refs = list(sample.references) if with_references else None
    key = cache_key(fingerprint, sample.prompt, images, sample.max_new_tokens, temperature, refs)
    return Request(
        key=key,
        task=sample.task,
        sample_id=sample.id,
        prompt=sample.prompt,
        images=images,
        max_new_tokens=sample.max_new_tokens,
        temperature=temperature,
        lang=sample.lang,
        references=list(sample.references),
        image_refs=list(sample.images),
    )
