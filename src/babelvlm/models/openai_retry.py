"""Retries for HTTP model backends: exponential backoff with jitter, ``Retry-After`` honoured.

Retried: timeouts, connection errors and dropped connections, HTTP 408, 429 and 5xx, and 2xx responses
whose body is not the expected JSON. Not retried: other 4xx (the request itself is wrong). A request
that exhausts its attempts raises ``RequestFailed`` with the last cause, which backends turn into a
recorded per-request failure.
"""

from __future__ import annotations

import asyncio
import email.utils
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from babelvlm.errors import ModelError

T = TypeVar("T")
_RETRY_STATUS = {408, 409, 425, 429}


class RequestFailed(Exception):
    """A request that failed for good; ``str()`` is the error recorded in the Output."""

    def __init__(self, message: str, attempts: int) -> None:
        super().__init__(message)
        self.attempts = attempts


class ServerUnreachable(ModelError):
    """The server could not be connected to N times in a row: the run stops (it resumes later)."""


@dataclass
class ConnectionBreaker:
    """Fail fast on a server that cannot be reached: counts attempts in a row that could not connect
    (any HTTP response resets the count) and raises ``ServerUnreachable`` at ``limit``, so an unreachable
    URL ends the run in about a second instead of retrying every request for minutes."""

    limit: int = 16
    consecutive: int = 0

    def reached(self) -> None:
        """The server answered (with any status)."""
        self.consecutive = 0

    def refused(self, url: str, exc: Exception) -> None:
        """One attempt could not connect; raise once ``limit`` attempts in a row could not."""
        self.consecutive += 1
        if self.consecutive >= self.limit:
            raise ServerUnreachable(
                f"cannot reach {url}: {type(exc).__name__}: {exc or 'no connection'} "
                f"({self.consecutive} connection attempts in a row failed; fix: start the server or "
                "correct the URL in --model; finished answers are kept and a re-run resumes)"
            )


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to wait: delay_n = min(backoff_max, backoff * 2**n) * U(0.5, 1), or the
    server's ``Retry-After`` (capped at ``max_retry_after``) when it sends one."""

    max_retries: int = 6
    backoff: float = 0.5
    backoff_max: float = 30.0
    max_retry_after: float = 120.0

    def delay(self, attempt: int, retry_after: float | None) -> float:
        """Seconds to wait before retry number ``attempt + 1``."""
        if retry_after is not None:
            return min(retry_after, self.max_retry_after)
        return min(self.backoff_max, self.backoff * 2.0**attempt) * random.uniform(0.5, 1.0)


def parse_retry_after(value: str | None) -> float | None:
    """``Retry-After`` as seconds: a number of seconds or an HTTP date (RFC 9110 10.2.3)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def error_snippet(response: Any) -> str:
    """The server's error message (OpenAI ``{"error": {"message": ...}}`` or the first 200 chars)."""
    try:
        data = response.json()
        message = data.get("error", data) if isinstance(data, dict) else data
        if isinstance(message, dict):
            message = message.get("message", message)
        return str(message)[:300]
    except Exception:
        return str(response.text[:200])


async def call_with_retries(
    client: Any,
    url: str,
    body: dict[str, Any],
    policy: RetryPolicy,
    parse: Callable[[Any], T],
    breaker: ConnectionBreaker | None = None,
) -> tuple[T, int]:
    """POST ``body`` as JSON to ``url`` until ``parse(json)`` succeeds; returns (parsed, attempts).

    ``parse`` raises ValueError for a malformed body (retried). ``breaker`` (shared by all requests to
    one server) stops everything with ``ServerUnreachable`` after too many failed connects in a row.
    """
    import httpx

    reason = "no attempt made"
    for attempt in range(policy.max_retries + 1):
        retry_after: float | None = None
        try:
            response = await client.post(url, json=body)
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            reason = f"connection error ({type(exc).__name__}: {exc})"
            if breaker is not None:
                breaker.refused(url, exc)
        except httpx.TimeoutException as exc:
            reason = f"timeout ({type(exc).__name__})"
        except httpx.TransportError as exc:
            reason = f"connection error ({type(exc).__name__}: {exc})"
        else:
            if breaker is not None:
                breaker.reached()
            status = response.status_code
            if status in _RETRY_STATUS or status >= 500:
                reason = f"HTTP {status}: {error_snippet(response)}"
                retry_after = parse_retry_after(response.headers.get("retry-after"))
            elif status >= 400:
                raise RequestFailed(
                    f"HTTP {status} from {url} (not retried): {error_snippet(response)}", attempt + 1
                )
            else:
                try:
                    return parse(response.json()), attempt + 1
                except ValueError as exc:
                    reason = f"malformed response: {exc}"
        if attempt < policy.max_retries:
            await asyncio.sleep(policy.delay(attempt, retry_after))
    attempts = policy.max_retries + 1
    raise RequestFailed(f"failed after {attempts} attempts; last error: {reason}", attempts)
