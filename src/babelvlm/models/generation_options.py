"""Generation options with one name across backends: ``-M max_new_tokens=N`` means the same for ``hf:``
and ``openai:`` (the other names users bring from the OpenAI API or vLLM are accepted as aliases)."""

from __future__ import annotations

from babelvlm.errors import ConfigError

GENERATION_ALIASES: dict[str, str] = {
    "max_tokens": "max_new_tokens",
    "max_completion_tokens": "max_new_tokens",
}
"""Alias -> the shared option name."""


def canonical_options(options: dict[str, str]) -> dict[str, str]:
    """``options`` with aliases renamed to the shared names; an option given under two names is an error."""
    out: dict[str, str] = {}
    for key, value in options.items():
        name = GENERATION_ALIASES.get(key, key)
        if name in out:
            raise ConfigError(f"option {name} is given twice (as {key} too) (fix: keep one -M {name}=...)")
        out[name] = value
    return out


def max_new_tokens_option(options: dict[str, str]) -> int | None:
    """``-M max_new_tokens=N`` (a positive integer: it overrides every request's own limit), or None."""
    raw = options.get("max_new_tokens")
    if raw is None:
        return None
    if not raw.isdigit() or int(raw) < 1:
        raise ConfigError(
            f"option max_new_tokens={raw!r} must be a positive integer (fix: -M max_new_tokens=64)"
        )
    return int(raw)
