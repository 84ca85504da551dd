"""The streaming Ray executor: one actor pool for the whole run (each model loaded once), batches pulled
lazily in bounded windows, image bytes read on the actors, results identical to the local executor."""

from __future__ import annotations

import hashlib
import io
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image

from babelvlm.engine.executors import LocalExecutor
from babelvlm.engine.requests import build_request
from babelvlm.errors import ModelError
from babelvlm.models.base import ModelAPI
from babelvlm.schema import ImageRef, Output, Request, Sample

ray = pytest.importorskip("ray")
from babelvlm.engine.ray_executor import IN_FLIGHT_PER_ACTOR, RayExecutor, without_image_bytes  # noqa: E402


class ImageDigestModel(ModelAPI):
    """Answers with a digest of the request's image bytes (so a lost or wrong image changes the answer)."""

    batch_size = 4

    @property
    def fingerprint(self) -> str:
        return "digest"

    def generate(self, requests: list[Request]) -> list[Output]:
        if any(r.prompt == "stop" for r in requests):
            raise ModelError("model directory vanished")
        return [
            Output(text=f"{r.prompt}:{hashlib.sha256(b''.join(r.images)).hexdigest()[:12]}") for r in requests
        ]


@dataclass(frozen=True)
class CountingFactory:
    """Builds the model and appends a line to ``log`` each time (one line per model load)."""

    log: Path

    def __call__(self) -> ModelAPI:
        with self.log.open("a") as fh:
            fh.write("load\n")
        return ImageDigestModel()


@pytest.fixture(scope="module")
def local_ray() -> Iterator[None]:
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield
    ray.shutdown()


def _png(seed: int) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (6, 6), (seed * 40 % 256, 90, 200)).save(buf, format="PNG")
    return buf.getvalue()


def _requests(tmp_path: Path, n: int) -> list[Request]:
    """Requests built as the runner builds them: images from files (paths) and base64 text."""
    import base64

    out = []
    for i in range(n):
        path = tmp_path / f"img{i % 5}.png"
        if not path.exists():
            path.write_bytes(_png(i % 5))
        ref = ImageRef(path=str(path)) if i % 2 else ImageRef(b64=base64.b64encode(_png(i % 7)).decode())
        sample = Sample(id=str(i), task="t", prompt=f"q{i}", references=["x"], lang="en", images=[ref])
        out.append(build_request(sample, "digest"))
    return out


def _collect(executor: object, batches: list[list[Request]]) -> dict[str, str | None]:
    got: dict[str, str | None] = {}

    def sink(batch: list[Request], outputs: list[Output]) -> None:
        got.update((r.key, o.text) for r, o in zip(batch, outputs, strict=True))

    executor.run(iter(batches), sink)  # type: ignore[attr-defined]
    return got


def test_streams_windows_to_one_pool_and_matches_local(tmp_path: Path, local_ray: None) -> None:
    requests = _requests(tmp_path, 60)
    batches = [requests[i : i + 4] for i in range(0, 60, 4)]
    assert all(r.image_refs and r.images for r in requests)
    assert without_image_bytes(requests[0]).images == [] and requests[0].images
    on_cluster = without_image_bytes(requests[1], shared_files=False)  # a file path: bytes travel
    assert on_cluster.images == requests[1].images and on_cluster.image_refs == []
    assert without_image_bytes(requests[0], shared_files=False).images == []  # base64 text: ref travels
    local = _collect(LocalExecutor(ImageDigestModel()), batches)
    loads = tmp_path / "loads.log"
    streamed = _collect(RayExecutor(CountingFactory(loads), batch_size=4, actors=2), batches)
    assert streamed == local and len(local) == 60 and all(v and ":" in v for v in local.values())
    assert loads.read_text().count("load") == 2  # 15 batches, two actors, each model loaded once


def test_batches_are_pulled_lazily(tmp_path: Path, local_ray: None) -> None:
    requests = _requests(tmp_path, 40)
    pulled: list[int] = []
    pulled_at_first_sink: list[int] = []

    def batches() -> Iterator[list[Request]]:
        for i in range(0, 40, 2):
            pulled.append(i)
            yield requests[i : i + 2]

    def sink(batch: list[Request], outputs: list[Output]) -> None:
        pulled_at_first_sink.append(len(pulled))

    RayExecutor(CountingFactory(tmp_path / "l.log"), batch_size=2, actors=1).run(batches(), sink)
    assert len(pulled) == 20 and len(pulled_at_first_sink) == 20
    assert pulled_at_first_sink[0] <= IN_FLIGHT_PER_ACTOR * 1 + 1  # a window, not the whole plan


def test_user_errors_on_an_actor_stop_the_run_as_themselves(tmp_path: Path, local_ray: None) -> None:
    stop = Request(key="s", task="t", sample_id="s", prompt="stop")
    with pytest.raises(ModelError, match="model directory vanished"):
        _collect(RayExecutor(CountingFactory(tmp_path / "l.log"), batch_size=1), [[stop]])


def test_an_image_the_worker_cannot_read_is_that_requests_failure(tmp_path: Path, local_ray: None) -> None:
    good, gone = _requests(tmp_path, 2)
    gone.image_refs = [ImageRef(path=str(tmp_path / "deleted.png"))]
    got: dict[str, Output] = {}
    RayExecutor(CountingFactory(tmp_path / "l.log"), batch_size=2).run(
        iter([[good, gone]]), lambda b, o: got.update((r.key, x) for r, x in zip(b, o, strict=True))
    )
    assert got[good.key].ok and got[gone.key].error is not None
    assert "could not be read on the worker" in got[gone.key].error
