"""The translation prompt of the builders (data in ``data/translate_prompts.json``)."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import Any

from babelvlm.langs import language_name


@lru_cache(maxsize=1)
def _prompts() -> dict[str, Any]:
    text = resources.files("babelvlm.builders").joinpath("data/translate_prompts.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def translation_prompt(text: str, source: str, target: str) -> str:
    """The prompt that asks a model to translate ``text`` from ``source`` into ``target`` (ISO codes)."""
    template: str = _prompts()["translate"]
    return template.format(source=language_name(source), target=language_name(target), text=text)


def prompt_version() -> str:
    """The version of the prompt (kept in every item's provenance)."""
    return str(_prompts()["version"])
