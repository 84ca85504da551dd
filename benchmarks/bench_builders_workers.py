"""Builder executors: 2 workers must process image-filter shards >= 1.7x as fast as 1 worker on the 2-core
machine (issue 10, Performance).

Writes SHARDS folders of IMAGES 256x256 JPEGs each, then runs the alt-text pairs' image steps (read ->
decode -> min side -> aspect -> pHash -> NSFW -> WebDataset shard) over them with datatrove's local
executor, 1 worker then 2 workers (and Ray with 2 workers with ``--ray``), each from scratch. The baseline
is the 1-worker run in the same process. Prints seconds, images/s and the speed-up ratios.
Usage: ``python benchmarks/bench_builders_workers.py [--shards 4] [--images 96] [--ray]``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).parent))
TARGET = 1.7


def image_steps(files: list[str], out: Path) -> list:
    """The image-filter pipeline of one run."""
    from babelvlm.builders.fetch import FetchImages
    from babelvlm.builders.image_steps import AspectRatio, DecodeImage, MinSide
    from babelvlm.builders.nsfw import NsfwFilter
    from babelvlm.builders.phash_steps import ComputePhash
    from babelvlm.builders.shards import ShardRecord, ShardWriter
    from babelvlm.builders.web_inputs import ImageFolder

    def record(doc):
        return ShardRecord(
            doc.id.replace(".", "_"),
            {"phash": doc.media[0].metadata["phash"]},
            [("jpg", doc.media[0].media_bytes)],
        )

    steps = [
        ImageFolder(files),
        FetchImages(),
        DecodeImage(),
        MinSide(),
        AspectRatio(),
        ComputePhash(),
        NsfwFilter(),
    ]
    return [*steps, ShardWriter(str(out / "shards"), record)]


def _cpu_seconds() -> float:
    """CPU time of this process and its finished children (the worker processes)."""
    import resource

    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def timed_run(files: list[str], out: Path, shards: int, workers: int, executor: str) -> float:
    from babelvlm.builders.run import RunOptions, run_pipeline

    start, cpu = time.perf_counter(), _cpu_seconds()
    run_pipeline(image_steps(files, out), out, RunOptions(tasks=shards, workers=workers, executor=executor))
    wall = time.perf_counter() - start
    if executor == "local":  # Ray's workers are not this process's children: their CPU time is not seen
        print(f"  [{executor}, {workers} worker(s): {_cpu_seconds() - cpu:.2f} CPU-s in {wall:.2f} s wall]")
    return wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--shards", type=int, default=4)
    parser.add_argument("--images", type=int, default=96, help="images per shard")
    parser.add_argument("--ray", action="store_true")
    args = parser.parse_args()
    from bench_builders_images import make_images

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        files = []
        for k, data in enumerate(make_images(args.shards * args.images)):
            path = root / "in" / f"{k:05d}.jpg"
            path.parent.mkdir(exist_ok=True)
            path.write_bytes(data)
            files.append(str(path))
        n = len(files)
        load = os.getloadavg()[0]
        print(f"load average before the runs: {load:.2f} on {os.cpu_count()} CPUs (others' jobs count)")
        one = timed_run(files, root / "w1", args.shards, 1, "local")
        two = timed_run(files, root / "w2", args.shards, 2, "local")
        print(
            f"{args.shards} shards x {args.images} images of 256 px"
            " (read, decode, size, aspect, pHash, NSFW, write)"
        )
        print(f"local, 1 worker : {one:6.2f} s  {n / one:6.1f} images/s  (baseline)")
        print(
            f"local, 2 workers: {two:6.2f} s  {n / two:6.1f} images/s"
            f"  speed-up {one / two:.2f}x (target >= {TARGET})"
        )
        if args.ray:
            import ray

            ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
            ray_two = timed_run(files, root / "r2", args.shards, 2, "ray")
            print(
                f"ray,   2 workers: {ray_two:6.2f} s  {n / ray_two:6.1f} images/s"
                f"  speed-up {one / ray_two:.2f}x"
            )
            ray.shutdown()
        print("PASS" if one / two >= TARGET else "FAIL")


if __name__ == "__main__":
    main()
