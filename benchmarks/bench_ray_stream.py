"""Driver memory of the streaming Ray executor: ``eval --executor ray`` on N samples with ~100 kB images
must keep the driver's peak RSS flat -- the 10,000-sample peak under 1.5x the 1,000-sample peak.

Each size runs in a fresh driver process (``ru_maxrss`` is per process); Ray starts locally in it. The
samples cycle through 20 distinct noise PNGs of ~100 kB (distinct prompts, so every request is its own
cache key). With ``--gather-baseline`` it also measures a driver that gathers every request with its
image bytes before sending (what the executor did before), at the larger size, for comparison.

Usage: python benchmarks/bench_ray_stream.py [--small 1000] [--large 10000] [--gather-baseline]
"""

from __future__ import annotations

import argparse
import io
import json
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

import numpy as np
from PIL import Image

TARGET_RATIO = 1.5
IMAGES = 20


def write_task(folder: Path, n: int) -> Path:
    """``n`` generic-task rows over ``IMAGES`` noise PNGs of about 100 kB each."""
    (folder / "img").mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for k in range(IMAGES):
        pixels = rng.integers(0, 256, size=(182, 182, 3), dtype=np.uint8)
        buf = io.BytesIO()
        Image.fromarray(pixels).save(buf, format="PNG")
        (folder / "img" / f"{k}.png").write_bytes(buf.getvalue())
    rows = (
        json.dumps({"id": f"q{i}", "image": f"img/{i % IMAGES}.png", "question": f"Question {i}?",
                    "answers": [str(i)], "lang": ("en", "fr", "de", "ja")[i % 4]})
        for i in range(n)
    )  # fmt: skip
    path = folder / "data.jsonl"
    path.write_text("\n".join(rows) + "\n")
    return path


def child(n: int, gather: bool) -> None:
    """Run one eval in this process and print its peak RSS (MiB) and wall time as JSON."""
    from babelvlm.engine import ray_executor
    from babelvlm.engine.executors import Sink
    from babelvlm.engine.runner import EvalConfig, run_eval
    from babelvlm.schema import Request

    if gather:  # the old behaviour: every request (with its image bytes) gathered before sending
        stream_run = ray_executor.RayExecutor.run

        def gathered(self: ray_executor.RayExecutor, batches: Iterable[list[Request]], sink: Sink) -> None:
            held = [[replace(r, image_refs=[]) for r in b] for b in batches]  # bytes travel, refs do not
            stream_run(self, iter(held), sink)

        ray_executor.RayExecutor.run = gathered  # type: ignore[method-assign]
    with tempfile.TemporaryDirectory() as tmp:
        data = write_task(Path(tmp) / "task", n)
        start = time.perf_counter()
        config = EvalConfig(
            model="mock:answer", model_options={"batch_size": "32"}, tasks=["jsonl"], data=data,
            out=Path(tmp) / "run", executor="ray", concurrency=1, progress=False, write_report=False,
        )  # fmt: skip
        result = run_eval(config)
        seconds = time.perf_counter() - start
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    task = result.tasks["jsonl"]
    print(json.dumps({"n": n, "peak_mib": peak_mib, "seconds": seconds, "failed": task.n_failed}))


def measure(n: int, gather: bool = False) -> dict[str, float]:
    """Peak RSS of a fresh driver process running ``n`` samples."""
    args = [sys.executable, __file__, "--child", str(n)] + (["--gather"] if gather else [])
    done = subprocess.run(args, capture_output=True, text=True, check=True)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main() -> None:
    """Measure both sizes and print the ratio against the target."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--small", type=int, default=1000)
    parser.add_argument("--large", type=int, default=10000)
    parser.add_argument("--gather-baseline", action="store_true")
    parser.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--gather", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        child(args.child, args.gather)
        return
    small, large = measure(args.small), measure(args.large)
    for row in (small, large):
        print(f"ray streaming, {row['n']:>6.0f} samples: driver peak {row['peak_mib']:7.1f} MiB, "
              f"{row['seconds']:6.1f} s, failed {row['failed']:.0f}")  # fmt: skip
    ratio = large["peak_mib"] / small["peak_mib"]
    verdict = "OK" if ratio < TARGET_RATIO else "ABOVE TARGET"
    print(f"peak ratio {args.large}/{args.small}: {ratio:.2f} (target < {TARGET_RATIO}) {verdict}")
    if args.gather_baseline:
        gathered = measure(args.large, gather=True)
        print(f"gather-first baseline, {args.large} samples: driver peak {gathered['peak_mib']:.1f} MiB "
              f"({gathered['peak_mib'] / large['peak_mib']:.2f}x the streaming peak)")  # fmt: skip


if __name__ == "__main__":
    main()
