"""``build_webcorpus`` killed with SIGKILL mid-run and relaunched gives the same output as one clean run
(finished shards are not redone, the killed one is redone from its start, nothing half-written remains)."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import time
from pathlib import Path

from image_server import serve_images
from web_fixtures import write_crawl

from babelvlm.builders.fetch import FetchSettings
from babelvlm.builders.run import RunOptions
from babelvlm.builders.webcorpus import WebcorpusConfig, build_webcorpus

CONFIG = WebcorpusConfig(kinds=("interleaved",), fetch=FetchSettings(timeout_s=5))


def _build(folder: Path, out: Path) -> None:
    build_webcorpus(folder, out, CONFIG, RunOptions(tasks=2))


def _build_in_own_group(folder: Path, out: Path) -> None:
    os.setsid()  # the kill below takes the run and anything it started
    _build(folder, out)


def _outputs(out: Path) -> dict[str, bytes]:
    files = [p for p in sorted(out.rglob("*")) if p.is_file() and "logs" not in p.parts]
    return {str(p.relative_to(out)): p.read_bytes() for p in files}


def test_kill_and_relaunch_equals_a_clean_run(tmp_path: Path) -> None:
    with serve_images() as server:
        folder = write_crawl(tmp_path / "crawl", server.images, server.base_url)
        clean = tmp_path / "clean"
        _build(folder, clean)

        server.delay_s, server.delay_match = (
            2.0,
            "/s1-",
        )  # shard 1's downloads hang: it is mid-run when killed
        killed = tmp_path / "killed"
        child = multiprocessing.get_context("fork").Process(target=_build_in_own_group, args=(folder, killed))
        child.start()
        completions = killed / "interleaved" / "logs" / "completions"
        deadline = time.monotonic() + 60
        while not (completions / "00000").exists() and child.is_alive() and time.monotonic() < deadline:
            time.sleep(0.01)
        os.killpg(child.pid or 0, signal.SIGKILL)
        child.join()
        assert child.exitcode == -signal.SIGKILL
        assert (completions / "00000").exists() and not (completions / "00001").exists()
        assert not (killed / "interleaved" / "shards" / "00001.tar").exists()  # no half-written shard
        finished = (killed / "interleaved" / "shards" / "00000.tar").stat().st_mtime_ns

        server.delay_s = 0.0
        _build(folder, killed)
        assert (killed / "interleaved" / "shards" / "00000.tar").stat().st_mtime_ns == finished  # not redone
    assert _outputs(killed) == _outputs(clean)
    steps = json.loads((killed / "stats.json").read_text())["steps"]
    assert steps == json.loads((clean / "stats.json").read_text())["steps"]
