"""``openai:<base_url>#<model>``: any OpenAI-compatible chat server (vLLM, SGLang, llama.cpp server,
hosted APIs). ``base_url`` is what an OpenAI client takes (usually ending in ``/v1``); requests go to
``<base_url>/chat/completions`` with images as ``data:`` URLs.

A batch is answered concurrently (asyncio + httpx, at most ``concurrency`` requests in flight).
Timeouts, connection errors, dropped connections, HTTP 408/429/5xx and malformed JSON are retried with
exponential backoff and jitter (``Retry-After`` honoured); other 4xx fail at once. Every failure ends
as ``Output(error=...)`` naming the cause and the number of attempts — never an exception, never an
empty answer.

Options (``-M key=value``): ``concurrency`` (8), ``api_key`` (else env ``OPENAI_API_KEY``),
``timeout`` (60 s), ``max_retries`` (6), ``backoff`` (0.5 s, doubled per attempt), ``backoff_max``
(30 s), ``max_retry_after`` (120 s), ``top_logprobs`` (20, for ``token_stats``), ``seed``,
``max_tokens_param`` (``max_tokens``; ``max_completion_tokens`` for newer hosted APIs), ``max_new_tokens``
(overrides every request's limit; the same name as for ``hf:``, see ``models.generation_options``).
``max_connect_failures`` (2 x concurrency, at least 8: connection attempts in a row that may fail before
the run stops with "cannot reach <url>").
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import time
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from babelvlm.errors import ConfigError
from babelvlm.models.base import ModelAPI
from babelvlm.models.generation_options import max_new_tokens_option
from babelvlm.models.openai_logprobs import answer_token_stats
from babelvlm.models.openai_retry import (
    ConnectionBreaker,
    RequestFailed,
    RetryPolicy,
    call_with_retries,
)
from babelvlm.schema import Output, Request, TokenStats

T = TypeVar("T")
U = TypeVar("U")
V = TypeVar("V")
_KNOWN_OPTIONS = {
    "concurrency",
    "api_key",
    "timeout",
    "max_retries",
    "backoff",
    "backoff_max",
    "max_retry_after",
    "top_logprobs",
    "seed",
    "max_tokens_param",
    "max_new_tokens",
    "max_connect_failures",
}
_AT_LEAST_ONE = {"concurrency", "top_logprobs", "max_connect_failures"}
_IMAGE_MAGIC = (
    (b"\x89PNG", "image/png"),
    (b"\xff\xd8", "image/jpeg"),
    (b"GIF8", "image/gif"),
    (b"BM", "image/bmp"),
)


def create(target: str, options: dict[str, str]) -> ModelAPI:
    """Build ``openai:<base_url>#<model>`` (factory for ``models.registry``)."""
    base_url, sep, model = target.partition("#")
    if not sep or not model or not base_url.startswith(("http://", "https://")):
        raise ConfigError(
            f"openai:{target} is not openai:<base_url>#<model> "
            "(fix: e.g. --model openai:http://127.0.0.1:8000/v1#Qwen/Qwen2-VL-2B-Instruct)"
        )
    unknown = set(options) - _KNOWN_OPTIONS
    if unknown:
        raise ConfigError(
            f"unknown option(s) {sorted(unknown)} for openai: (fix: use {sorted(_KNOWN_OPTIONS)})"
        )
    return OpenAIModel(base_url.rstrip("/"), model, options)


def _number(options: dict[str, str], key: str, default: float, integer: bool = False) -> float:
    if key not in options:
        return default
    try:
        value = int(options[key]) if integer else float(options[key])
    except ValueError:
        value = -1
    if value < 0 or (integer and key in _AT_LEAST_ONE and value < 1):
        raise ConfigError(
            f"option {key}={options[key]!r} is not a valid number (fix: e.g. -M {key}={default})"
        )
    return value


def image_data_url(data: bytes) -> str:
    """``data:<mime>;base64,...`` for encoded image bytes (MIME type from the magic number)."""
    mime = next((m for magic, m in _IMAGE_MAGIC if data.startswith(magic)), None)
    if mime is None:
        mime = "image/webp" if data[8:12] == b"WEBP" else "image/png"
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def user_message(request: Request) -> dict[str, Any]:
    """The OpenAI chat ``user`` message: plain text, or image parts followed by the text part."""
    if not request.images:
        return {"role": "user", "content": request.prompt}
    parts: list[dict[str, Any]] = [
        {"type": "image_url", "image_url": {"url": image_data_url(img)}} for img in request.images
    ]
    parts.append({"type": "text", "text": request.prompt})
    return {"role": "user", "content": parts}


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine from sync code, also when this thread already runs an event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


class OpenAIModel(ModelAPI):
    """A chat-completions client with bounded concurrency and retries."""

    def __init__(self, base_url: str, model: str, options: dict[str, str]) -> None:
        self.base_url, self.model = base_url, model
        self.concurrency = int(_number(options, "concurrency", 8, integer=True))
        self.batch_size = 4 * self.concurrency
        self.max_concurrency = 1
        self.timeout = _number(options, "timeout", 60.0)
        self.top_logprobs = int(_number(options, "top_logprobs", 20, integer=True))
        self.seed = int(_number(options, "seed", 0, integer=True)) if "seed" in options else None
        self.max_tokens_param = options.get("max_tokens_param", "max_tokens")
        self.max_new_tokens = max_new_tokens_option(options)
        self.policy = RetryPolicy(
            max_retries=int(_number(options, "max_retries", 6, integer=True)),
            backoff=_number(options, "backoff", 0.5),
            backoff_max=_number(options, "backoff_max", 30.0),
            max_retry_after=_number(options, "max_retry_after", 120.0),
        )
        default_limit = max(8, 2 * self.concurrency)
        limit = int(_number(options, "max_connect_failures", default_limit, integer=True))
        self.breaker = ConnectionBreaker(limit=limit)
        self._ssl: Any = None
        self.headers = {"Content-Type": "application/json"}
        api_key = options.get("api_key") or os.environ.get("OPENAI_API_KEY")
        if api_key:
            self.headers["Authorization"] = f"Bearer {api_key}"
        answer_options = f"{base_url}#{model}|seed={self.seed}|{self.max_tokens_param}"
        if self.max_new_tokens is not None:
            answer_options += f"|max_new_tokens={self.max_new_tokens}"
        self._fingerprint = "openai:" + hashlib.sha256(answer_options.encode()).hexdigest()[:32]

    @property
    def fingerprint(self) -> str:
        return self._fingerprint

    def chat_body(self, request: Request) -> dict[str, Any]:
        """The JSON body of one chat-completions call."""
        body: dict[str, Any] = {
            "model": self.model,
            "messages": [user_message(request)],
            self.max_tokens_param: self.max_new_tokens or request.max_new_tokens,
            "temperature": request.temperature,
        }
        if self.seed is not None:
            body["seed"] = self.seed
        return body

    def generate(self, requests: list[Request]) -> list[Output]:
        """Answer all requests concurrently (at most ``concurrency`` in flight), in order."""
        return run_sync(self._generate_all(requests))

    async def _generate_all(self, requests: list[Request]) -> list[Output]:
        return await self._pooled(requests, self._answer)

    async def _pooled(self, items: Sequence[U], work: Callable[[Any, U], Awaitable[V]]) -> list[V]:
        """Run ``work(client, item)`` for every item with ``concurrency`` workers, each owning one
        keep-alive connection (one small httpx pool per worker: a shared pool of 32 connections spends
        more CPU assigning requests to connections than sending them)."""
        import httpx

        results: list[V | None] = [None] * len(items)
        pending = deque(range(len(items)))
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        if self._ssl is None:
            self._ssl = httpx.create_ssl_context()

        async def worker() -> None:
            async with httpx.AsyncClient(
                limits=limits, timeout=self.timeout, headers=self.headers, verify=self._ssl
            ) as client:
                while pending:
                    index = pending.popleft()
                    results[index] = await work(client, items[index])

        await asyncio.gather(*(worker() for _ in range(min(self.concurrency, len(items)))))
        return [r for r in results if r is not None]

    async def _answer(self, client: Any, request: Request) -> Output:
        started = time.perf_counter()
        url = f"{self.base_url}/chat/completions"
        try:
            data, attempts = await call_with_retries(
                client, url, self.chat_body(request), self.policy, parse_chat, self.breaker
            )
        except RequestFailed as exc:
            return Output(
                error=str(exc), latency_s=time.perf_counter() - started, meta={"attempts": exc.attempts}
            )
        text, finish = data
        meta: dict[str, Any] = {"attempts": attempts, "finish_reason": finish}
        latency = time.perf_counter() - started
        if not text.strip():
            error = f"server returned an empty answer (finish_reason={finish})"
            return Output(error=error, latency_s=latency, meta=meta)
        return Output(text=text.strip(), latency_s=latency, meta=meta)

    def token_stats(self, requests: list[Request], answers: list[str]) -> list[TokenStats]:
        """Top-k approximation of teacher-forced statistics from the server's prompt log-probs
        (vLLM's ``prompt_logprobs`` + ``return_token_ids`` chat extensions); see
        ``babelvlm.models.openai_logprobs`` for what is approximated. Servers without these extensions
        give ``TokenStats(error=...)`` saying so."""
        if len(requests) != len(answers):
            raise ConfigError(f"token_stats got {len(requests)} requests but {len(answers)} answers")
        return run_sync(self._stats_all(requests, answers))

    async def _stats_all(self, requests: list[Request], answers: list[str]) -> list[TokenStats]:
        async def one(client: Any, pair: tuple[Request, str]) -> TokenStats:
            return await answer_token_stats(client, self, *pair)

        return await self._pooled(list(zip(requests, answers, strict=True)), one)


def parse_chat(data: Any) -> tuple[str, str | None]:
    """(content, finish_reason) of a chat-completions response; ValueError when the JSON does not have
    the shape of one (retried as a malformed response)."""
    try:
        choice = data["choices"][0]
        content = choice["message"]["content"]
    except (KeyError, IndexError, TypeError) as exc:
        raise ValueError(f"no choices[0].message.content in the response ({exc!r})") from exc
    if isinstance(content, list):  # content parts
        content = "".join(p.get("text", "") for p in content if isinstance(p, dict))
    if content is None:
        content = ""
    if not isinstance(content, str):
        raise ValueError(f"message.content is a {type(content).__name__}, not text")
    finish = choice.get("finish_reason") if isinstance(choice, dict) else None
    return content, finish if isinstance(finish, str) else None
