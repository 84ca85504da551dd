"""Connecting to Ray the way a user needs it: an unreachable cluster is one line with the fix (checked
with a plain TCP connect first, because ``ray.init`` retries an unreachable address for minutes), and
Ray's own log lines (token-auth notices, core-worker warnings, Ray Data plans) stay quiet unless
``--verbose``."""

from __future__ import annotations

import logging
import os
import re
import socket
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from typing import Any

from babelvlm.errors import ConfigError

RAY_LOGGERS = ("ray", "ray.data", "ray.serve", "ray.train", "ray.tune")
CONNECT_TIMEOUT_S = 5.0
_FIX = (
    "fix: check --ray-address (the head node's host:6379, or ray://host:10001 for Ray Client) and that "
    "the cluster runs (`ray status` on the head); for a cluster with token authentication set "
    "RAY_AUTH_TOKEN (or RAY_AUTH_TOKEN_PATH) to its token; or drop --executor ray to run locally"
)


def quiet_ray_logging() -> int:
    """Silence Ray's Python loggers and its C++ backend below errors; returns the level for ``ray.init``."""
    os.environ.setdefault("RAY_BACKEND_LOG_LEVEL", "fatal")
    config = resources.files("babelvlm.engine").joinpath("ray_data_quiet_logging.yaml")
    os.environ.setdefault("RAY_DATA_LOGGING_CONFIG", str(config))
    for name in RAY_LOGGERS:
        logging.getLogger(name).setLevel(logging.ERROR)
    return logging.ERROR


def host_port(address: str) -> tuple[str, int] | None:
    """(host, port) of ``host:port`` or ``ray://host:port``; None for ``auto`` and other forms."""
    rest = address.removeprefix("ray://")
    host, sep, port = rest.rpartition(":")
    if not sep or not host or not port.isdigit():
        return None
    return host.strip("[]"), int(port)


def check_reachable(address: str) -> None:
    """Raise a one-line ConfigError when nothing listens at ``address`` (before Ray retries for minutes)."""
    target = host_port(address)
    if target is None:
        return
    try:
        with socket.create_connection(target, timeout=CONNECT_TIMEOUT_S):
            pass
    except OSError as exc:
        raise ConfigError(
            f"cannot reach the Ray cluster at {address}: {type(exc).__name__}: {exc} ({_FIX})"
        ) from None


def connection_error(address: str | None, exc: Exception) -> ConfigError:
    """The one-line error for a failed ``ray.init`` (auth, version mismatch, unreachable)."""
    where = f"the Ray cluster at {address}" if address else "a local Ray instance"
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return ConfigError(f"cannot connect to {where}: {type(exc).__name__}: {first[:300]} ({_FIX})")


def init_ray(ray: Any, address: str | None, quiet: bool) -> None:
    """``ray.init`` for a cluster at ``address`` or a local instance, quiet unless asked otherwise."""
    level = quiet_ray_logging() if quiet else logging.INFO
    if address:
        check_reachable(address)
    try:
        with _native_info_lines_dropped(quiet):
            if address:
                ray.init(address=address, log_to_driver=not quiet, logging_level=level)
            else:
                ray.init(include_dashboard=False, log_to_driver=False, configure_logging=False)
    except Exception as exc:  # Ray raises ConnectionError, RuntimeError, AuthenticationError, ...
        raise connection_error(address, exc) from exc


_NATIVE_INFO = re.compile(r"^\[[^\]]* I \d+ \d+\] ")


@contextmanager
def _native_info_lines_dropped(active: bool) -> Iterator[None]:
    """While Ray's C++ core starts in this process, send file descriptor 2 to a temporary file and
    replay it without the INFO lines that no log level silences (e.g. "Set ray log level ...")."""
    if not active:
        yield
        return
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile(mode="w+b") as captured:
        os.dup2(captured.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            captured.seek(0)
            for line in captured.read().decode("utf-8", "replace").splitlines():
                if line.strip() and not _NATIVE_INFO.match(line):
                    print(line, file=sys.stderr)
