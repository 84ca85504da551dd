"""Perceptual-hash deduplication (LLM-jp-3 VILA section 3.1, imagehash's pHash): near-duplicates within a
document (Hamming distance <= 5, the highest resolution copy kept), images seen more than 10 times in a
sample of 60K images across documents, exact (pHash, alt text) pairs, and alt texts seen more than 10 times.
"""

from __future__ import annotations

import io
import itertools
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from typing import ClassVar

import imagehash
from datatrove.data import Document, Media
from PIL import Image

from babelvlm.builders.steps import IN, KEPT, DocumentFilter, MediaFilter, WindowedStep

_BITS = 64


def phash_int(data: bytes) -> int:
    """The 64-bit pHash (imagehash.phash, 8x8) of encoded image bytes, as an integer."""
    with Image.open(io.BytesIO(data)) as img:
        return int(str(imagehash.phash(img)), 16)


def hamming(a: int, b: int) -> int:
    """Bits that differ between two 64-bit hashes."""
    return (a ^ b).bit_count()


class NearDuplicateIndex:
    """Finds hashes within ``max_distance`` bits of each other without comparing all pairs: by the pigeonhole
    principle two hashes that differ in <= d bits agree on at least one of d + 1 disjoint bit blocks, so only
    hashes sharing a block value are compared (multi-index hashing; imagehash has no index of its own)."""

    def __init__(self, max_distance: int = 5) -> None:
        self.max_distance = max_distance
        n_blocks = max_distance + 1
        edges = [round(i * _BITS / n_blocks) for i in range(n_blocks + 1)]
        self._blocks = [(lo, (1 << (hi - lo)) - 1) for lo, hi in itertools.pairwise(edges)]
        self._tables: list[dict[int, list[int]]] = [defaultdict(list) for _ in self._blocks]
        self.hashes: list[int] = []

    def add(self, value: int) -> list[int]:
        """Add a hash; returns the indices of the earlier hashes within ``max_distance`` of it."""
        found: set[int] = set()
        for (shift, mask), table in zip(self._blocks, self._tables, strict=True):
            for j in table[(value >> shift) & mask]:
                if j not in found and hamming(value, self.hashes[j]) <= self.max_distance:
                    found.add(j)
        index = len(self.hashes)
        self.hashes.append(value)
        for (shift, mask), table in zip(self._blocks, self._tables, strict=True):
            table[(value >> shift) & mask].append(index)
        return sorted(found)


def near_duplicate_groups(hashes: Sequence[int], max_distance: int = 5) -> list[int]:
    """A group id per hash: hashes linked by chains of distance <= ``max_distance`` share one (union-find)."""
    parent = list(range(len(hashes)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    index = NearDuplicateIndex(max_distance)
    for i, value in enumerate(hashes):
        for j in index.add(value):
            parent[root(i)] = root(j)
    return [root(i) for i in range(len(hashes))]


class ComputePhash(MediaFilter):
    """Compute each image's pHash into ``media.metadata['phash']`` (an image that cannot be hashed is
    dropped as corrupt)."""

    name = "phash"

    def check(self, media: Media, doc: Document) -> str | None:
        try:
            media.metadata["phash"] = phash_int(media.media_bytes or b"")
        except (OSError, ValueError, SyntaxError):
            return "corrupt image"
        return None


def _pixels(media: Media) -> int:
    return int(media.metadata["width"]) * int(media.metadata["height"])


class PhashDedupInDocument(MediaFilter):
    """Within each document, of images whose pHashes are within ``max_distance`` bits (seed 002 section 3.1:
    5), keep only the highest-resolution one (the first of equal size)."""

    name = "phash_dedup_in_document"

    def __init__(self, max_distance: int = 5) -> None:
        super().__init__()
        self.max_distance = max_distance

    def check(self, media: Media, doc: Document) -> str | None:
        return self._verdicts(doc)[id(media)]

    def _verdicts(self, doc: Document) -> dict[int, str | None]:
        groups = near_duplicate_groups([int(m.metadata["phash"]) for m in doc.media], self.max_distance)
        best: dict[int, Media] = {}
        for group, media in zip(groups, doc.media, strict=True):
            if group not in best or _pixels(media) > _pixels(best[group]):
                best[group] = media
        keep = {id(m) for m in best.values()}
        return {id(m): None if id(m) in keep else "near-duplicate in document" for m in doc.media}

    def check_batch(self, items: Sequence[tuple[Media, Document]]) -> list[str | None]:
        verdicts: dict[int, str | None] = {}
        for doc in {id(d): d for _, d in items}.values():
            verdicts.update(self._verdicts(doc))
        return [verdicts[id(m)] for m, _ in items]


class FrequentImages(WindowedStep):
    """Across documents: in each sample of ``sample_size`` images (seed 002: 60K), images whose
    near-duplicate group (pHash distance <= ``max_distance``) has more than ``max_count`` members (10) are
    dropped (icons, ads, broken-link images). The stream is processed sample after sample, so every image
    is judged once; a sample buffers its documents in memory."""

    name = "frequent_images"
    unit: ClassVar[str] = "images"

    def __init__(self, max_count: int = 10, sample_size: int = 60_000, max_distance: int = 5) -> None:
        super().__init__()
        self.max_count, self.sample_size, self.max_distance = max_count, sample_size, max_distance

    def items_in(self, doc: Document) -> int:
        return len(doc.media)

    def judge_sample(self, docs: list[Document]) -> Iterator[Document]:
        media = [m for d in docs for m in d.media]
        groups = near_duplicate_groups([int(m.metadata["phash"]) for m in media], self.max_distance)
        sizes = Counter(groups)
        too_frequent = {id(m) for m, g in zip(media, groups, strict=True) if sizes[g] > self.max_count}
        for doc in docs:
            kept = []
            for m in doc.media:
                self.count(IN)
                if id(m) in too_frequent:
                    self.drop(f"seen>{self.max_count} times", doc, m)
                else:
                    self.count(KEPT)
                    kept.append(m)
            doc.media = kept
            yield doc


class PhashAltDedup(DocumentFilter):
    """Alt-text pairs: keep the first of pairs with the same (pHash, alt text) (seed 002 section 3.1)."""

    name = "phash_alt_dedup"

    def __init__(self) -> None:
        super().__init__()
        self._seen: set[tuple[int, str]] = set()

    def check(self, doc: Document) -> str | None:
        key = (int(doc.media[0].metadata["phash"]), doc.text)
        if key in self._seen:
            return "duplicate (phash, alt)"
        self._seen.add(key)
        return None


class FrequentAltText(WindowedStep):
    """Alt-text pairs: in each sample of ``sample_size`` pairs, alt texts seen more than ``max_count``
    times (seed 002 section 3.1: 10) are dropped, every copy."""

    name = "frequent_alt_text"

    def __init__(self, max_count: int = 10, sample_size: int = 60_000) -> None:
        super().__init__()
        self.max_count, self.sample_size = max_count, sample_size

    def judge_sample(self, docs: list[Document]) -> Iterator[Document]:
        counts = Counter(d.text for d in docs)
        for doc in docs:
            self.count(IN)
            if counts[doc.text] > self.max_count:
                self.drop(f"alt seen>{self.max_count} times", doc)
            else:
                self.count(KEPT)
                yield doc
