"""pHash deduplication: the index equals brute force, the highest resolution copy is kept, and the
frequency rules hold at their thresholds (LLM-jp-3 VILA section 3.1)."""

from __future__ import annotations

import random

import pytest
from datatrove.data import Document, Media
from step_harness import image_bytes, image_doc, run_step, text_doc

from babelvlm.builders.phash_steps import (
    ComputePhash,
    FrequentAltText,
    FrequentImages,
    NearDuplicateIndex,
    PhashAltDedup,
    PhashDedupInDocument,
    hamming,
    phash_int,
)


def test_index_finds_exactly_the_brute_force_neighbours() -> None:
    rng = random.Random(0)
    base = [rng.getrandbits(64) for _ in range(20)]
    hashes = [
        b ^ sum(1 << rng.randrange(64) for _ in range(rng.randrange(9))) for b in base for _ in range(5)
    ]
    index = NearDuplicateIndex(max_distance=5)
    for i, h in enumerate(hashes):
        expected = [j for j in range(i) if hamming(h, hashes[j]) <= 5]
        assert index.add(h) == expected


def test_phash_of_a_resized_copy_is_near() -> None:
    big, small = phash_int(image_bytes(400, 300)), phash_int(image_bytes(200, 150))
    other = phash_int(_noise(400, 300))
    assert hamming(big, small) <= 5 < hamming(big, other)


def _noise(w: int, h: int) -> bytes:
    import io

    from PIL import Image

    rng = random.Random(1)
    img = Image.frombytes("L", (w, h), bytes(rng.randrange(256) for _ in range(w * h)))
    buf = io.BytesIO()
    img.convert("RGB").save(buf, format="PNG")
    return buf.getvalue()


def _hashed(doc_id: str, *specs: tuple[int, int, int]) -> Document:
    """Images as (width, height, phash)."""
    media = [
        Media(
            id=f"{doc_id}#{k}",
            type=0,
            url=f"http://x/{k}.jpg",
            metadata={"width": w, "height": h, "phash": p},
        )
        for k, (w, h, p) in enumerate(specs)
    ]
    return Document(text="", id=doc_id, media=media)


def test_in_document_dedup_keeps_the_highest_resolution() -> None:
    h = 0xF0F0F0F0F0F0F0F0
    doc = _hashed(
        "d",
        (200, 200, h),
        (800, 600, h ^ 0b11111),
        (400, 400, h ^ 0b1),
        (300, 300, h ^ 0b111111),
        (500, 500, ~h & (2**64 - 1)),
    )
    out, counts = run_step(PhashDedupInDocument(), [doc])
    # distance 5 joins the group, distance 6 from h is still joined through the 800x600 copy (distance 1)
    assert [m.id for m in out[0].media] == ["d#1", "d#4"]
    assert counts["dropped/near-duplicate in document"] == 3


def test_in_document_dedup_at_distance_six_keeps_both() -> None:
    h = 0xAAAA5555AAAA5555
    out, _ = run_step(PhashDedupInDocument(), [_hashed("d", (200, 200, h), (300, 300, h ^ 0b111111))])
    assert len(out[0].media) == 2


def test_compute_phash_on_real_bytes() -> None:
    doc = image_doc((10, 10))
    doc.media[0].media_bytes = image_bytes(64, 64)
    out, _ = run_step(ComputePhash(), [doc])
    assert out[0].media[0].metadata["phash"] == phash_int(image_bytes(64, 64))


@pytest.mark.parametrize(("copies", "dropped"), [(9, 0), (10, 0), (11, 11)])
def test_frequent_images_above_ten_copies(copies: int, dropped: int) -> None:
    h = 0x0123456789ABCDEF
    docs = [_hashed(f"d{k}", (200, 200, h ^ (k % 3)), (200, 200, k * 0x1111111111111)) for k in range(copies)]
    out, counts = run_step(FrequentImages(), docs)
    assert counts.get("dropped/seen>10 times", 0) == dropped
    assert sum(len(d.media) for d in out) == 2 * copies - dropped


def test_frequent_images_counts_per_sample() -> None:
    h = 0x0123456789ABCDEF
    docs = [_hashed(f"d{k}", (200, 200, h)) for k in range(12)]
    _, counts = run_step(FrequentImages(sample_size=6), docs)  # two samples of 6: never over 10
    assert counts == {"in": 12, "kept": 12}


def test_phash_alt_dedup_and_frequent_alt_text() -> None:
    pairs = [_hashed(f"p{k}", (200, 200, 7 if k < 3 else k)) for k in range(5)]
    for k, doc in enumerate(pairs):
        doc.text = "猫" if k != 2 else "犬"
    out, counts = run_step(PhashAltDedup(), pairs)
    assert [d.id for d in out] == ["p0", "p2", "p3", "p4"] and counts["dropped/duplicate (phash, alt)"] == 1
    for copies, dropped in ((10, 0), (11, 11)):
        _, counts = run_step(
            FrequentAltText(), [text_doc("同じ説明") for _ in range(copies)] + [text_doc("別")]
        )
        assert counts.get("dropped/alt seen>10 times", 0) == dropped
