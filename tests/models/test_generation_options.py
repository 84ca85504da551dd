"""One generation option name across backends: ``-M max_new_tokens`` (``hf:``'s name) works for ``openai:``
and ``llamacpp:``, and the OpenAI names are accepted as aliases."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from fake_openai_server import FakeOpenAIServer, FakeServerConfig

from babelvlm.errors import ConfigError
from babelvlm.models.generation_options import canonical_options, max_new_tokens_option
from babelvlm.models.registry import load_model
from babelvlm.schema import Request

FAST = {"backoff": "0.01", "max_retries": "1", "timeout": "5"}


@pytest.fixture(scope="module")
def server() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer(FakeServerConfig()) as srv:
        yield srv


def _ask(server: FakeOpenAIServer, prompt: str, **options: str) -> dict[str, object]:
    model = load_model(f"openai:{server.base_url}#m", {**FAST, **options})
    request = Request(key=prompt, task="t", sample_id=prompt, prompt=prompt, max_new_tokens=32)
    assert model.generate([request])[0].text == f"answer: {prompt}"
    return next(b for b in server.log.bodies if b["messages"][0]["content"] == prompt)


def test_openai_takes_max_new_tokens_and_its_aliases(server: FakeOpenAIServer) -> None:
    assert _ask(server, "default")["max_tokens"] == 32
    assert _ask(server, "hf name", max_new_tokens="5")["max_tokens"] == 5
    assert _ask(server, "openai name", max_tokens="6")["max_tokens"] == 6
    body = _ask(server, "new api", max_completion_tokens="7", max_tokens_param="max_completion_tokens")
    assert body["max_completion_tokens"] == 7 and "max_tokens" not in body


def test_the_limit_is_part_of_the_fingerprint_and_checked() -> None:
    plain = load_model("openai:http://h/v1#m")
    capped = load_model("openai:http://h/v1#m", {"max_new_tokens": "5"})
    alias = load_model("openai:http://h/v1#m", {"max_tokens": "5"})
    assert plain.fingerprint != capped.fingerprint == alias.fingerprint
    with pytest.raises(ConfigError, match="given twice"):
        canonical_options({"max_tokens": "5", "max_new_tokens": "6"})
    with pytest.raises(ConfigError, match="positive integer"):
        max_new_tokens_option({"max_new_tokens": "0"})
    assert canonical_options({"max_tokens": "9", "seed": "1"}) == {"max_new_tokens": "9", "seed": "1"}


def test_llamacpp_uses_the_option_and_fingerprints_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The option reaches llama.cpp's ``max_tokens`` (a recording stand-in for llama_cpp here; the real
    GGUF path is covered by the slow test in test_llamacpp.py)."""
    from babelvlm.models import llamacpp

    calls: list[int] = []

    class FakeLlama:
        def __init__(self, **kwargs: object) -> None:
            pass

        def create_completion(self, **kwargs: Any) -> dict[str, Any]:
            calls.append(int(kwargs["max_tokens"]))
            return {"choices": [{"text": "42"}]}

    class FakeModule:
        Llama = FakeLlama

    monkeypatch.setattr(llamacpp, "_import_llama_cpp", lambda: FakeModule)
    template = SimpleNamespace(prompt="q", stop=[])
    monkeypatch.setattr(llamacpp.LlamaCppModel, "_chat_formatter", lambda self, module: lambda **kw: template)
    gguf = tmp_path / "m.gguf"
    gguf.write_bytes(b"GGUF" + b"\0" * 64)
    capped = load_model(f"llamacpp:{gguf}", {"max_tokens": "7"})
    plain = load_model(f"llamacpp:{gguf}")
    request = Request(key="k", task="t", sample_id="s", prompt="q", max_new_tokens=32)
    assert capped.generate([request])[0].text == "42" and plain.generate([request])[0].text == "42"
    assert calls == [7, 32] and capped.fingerprint != plain.fingerprint
