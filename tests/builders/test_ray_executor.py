"""The same pipeline on datatrove's Ray executor gives byte-identical shards and the same stats."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from toy_pipeline import toy_inputs, toy_steps

from babelvlm.builders.run import RunOptions, run_pipeline

ray = pytest.importorskip("ray")


@pytest.fixture(scope="module")
def ray_cluster() -> Iterator[None]:
    here = str(Path(__file__).parent)  # Ray workers import the toy steps from here
    env = {"PYTHONPATH": os.pathsep.join([here, *sys.path])}
    if ray.is_initialized():
        ray.shutdown()
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, runtime_env={"env_vars": env})
    yield
    ray.shutdown()


def test_ray_and_local_give_identical_shards(tmp_path: Path, ray_cluster: None) -> None:
    inputs = toy_inputs(tmp_path)
    local = run_pipeline(toy_steps(inputs, tmp_path / "l"), tmp_path / "l", RunOptions(tasks=2, workers=2))
    remote = run_pipeline(
        toy_steps(inputs, tmp_path / "r"), tmp_path / "r", RunOptions(tasks=2, workers=2, executor="ray")
    )
    assert remote == local
    for name in ("00000.tar", "00001.tar"):
        assert (tmp_path / "r" / "shards" / name).read_bytes() == (
            tmp_path / "l" / "shards" / name
        ).read_bytes()


@pytest.mark.slow  # ~25 s on 2 cores: Ray starts a worker process per shard
def test_webcorpus_on_ray_equals_local(tmp_path: Path, ray_cluster: None) -> None:
    from image_server import serve_images
    from web_fixtures import write_crawl

    from babelvlm.builders.webcorpus import WebcorpusConfig, build_webcorpus

    with serve_images() as server:
        folder = write_crawl(tmp_path / "crawl", server.images, server.base_url)
        config = WebcorpusConfig()
        local = build_webcorpus(folder, tmp_path / "l", config, RunOptions(tasks=2, workers=2))
        remote = build_webcorpus(
            folder, tmp_path / "r", config, RunOptions(tasks=2, workers=2, executor="ray")
        )
    assert remote["steps"] == local["steps"]
    shards = sorted((tmp_path / "l").rglob("shards/*"))
    assert len(shards) == 4
    for path in shards:
        assert (tmp_path / "r" / path.relative_to(tmp_path / "l")).read_bytes() == path.read_bytes()
