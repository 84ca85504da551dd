"""Ray connection checks: addresses parsed, an unreachable address is one ConfigError at once."""

from __future__ import annotations

import logging
import os
import socket
import time

import pytest

from babelvlm.engine.ray_setup import check_reachable, connection_error, host_port
from babelvlm.errors import ConfigError


def test_host_port_forms() -> None:
    assert host_port("10.0.0.5:6379") == ("10.0.0.5", 6379)
    assert host_port("ray://head:10001") == ("head", 10001)
    assert host_port("[::1]:6379") == ("::1", 6379)
    assert host_port("auto") is None and host_port("head") is None


def test_unreachable_address_is_one_error_with_the_fix() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    start = time.perf_counter()
    with pytest.raises(ConfigError, match=rf"cannot reach the Ray cluster at 127.0.0.1:{port}: Connection"):
        check_reachable(f"127.0.0.1:{port}")
    assert time.perf_counter() - start < 6
    check_reachable("auto")  # Ray finds it itself: nothing to check


def test_init_failures_name_the_cluster_and_the_fix() -> None:
    err = connection_error(
        "ray://head:10001", RuntimeError("Token authentication is enabled but no token\nmore")
    )
    text = str(err)
    assert text.startswith("cannot connect to the Ray cluster at ray://head:10001: RuntimeError: Token")
    assert "more" not in text and "RAY_AUTH_TOKEN" in text and "\n" not in text


class _FakeRay:
    """Records the arguments of ``init`` (or raises what a real cluster would)."""

    def __init__(self, error: Exception | None = None) -> None:
        self.kwargs: dict[str, object] = {}
        self.error = error

    def init(self, **kwargs: object) -> None:
        self.kwargs = kwargs
        if self.error is not None:
            raise self.error


def test_quiet_unless_verbose(monkeypatch: pytest.MonkeyPatch) -> None:
    from babelvlm.engine.ray_setup import init_ray

    for name in ("RAY_BACKEND_LOG_LEVEL", "RAY_DATA_LOGGING_CONFIG"):  # restored after the test
        monkeypatch.setenv(name, "unset")
        monkeypatch.delenv(name)
    monkeypatch.setattr("babelvlm.engine.ray_setup.check_reachable", lambda address: None)
    quiet = _FakeRay()
    init_ray(quiet, "head:6379", quiet=True)
    assert quiet.kwargs == {"address": "head:6379", "log_to_driver": False, "logging_level": logging.ERROR}
    assert logging.getLogger("ray.data").level == logging.ERROR
    assert os.environ["RAY_BACKEND_LOG_LEVEL"] == "fatal" and os.environ["RAY_DATA_LOGGING_CONFIG"].endswith(
        "ray_data_quiet_logging.yaml"
    )
    verbose = _FakeRay()
    init_ray(verbose, "head:6379", quiet=False)
    assert verbose.kwargs["log_to_driver"] is True and verbose.kwargs["logging_level"] == logging.INFO
    with pytest.raises(ConfigError, match=r"cannot connect to a local Ray instance: RuntimeError: no GCS"):
        init_ray(_FakeRay(RuntimeError("no GCS")), None, quiet=False)
