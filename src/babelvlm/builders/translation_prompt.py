"""The translation prompt of the builders (data in ``data/translate_prompts.json``)."""

from __future__ import annotations

from typing import Any

from babelvlm.builders.builder_data import builder_data
from babelvlm.langs import language_name


def _prompts() -> dict[str, Any]:
    return builder_data("translate_prompts.json")


def translation_prompt(text: str, source: str, target: str) -> str:
    """The prompt that asks a model to translate ``text`` from ``source`` into ``target`` (ISO codes)."""
    template: str = _prompts()["translate"]
    return template.format(source=language_name(source), target=language_name(target), text=text)


def prompt_version() -> str:
    """The version of the prompt (kept in every item's provenance)."""
    return str(_prompts()["version"])
