"""The builders' tables (prompts, word lists) as JSON under ``builders/data/``, read once per process."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import Any


@lru_cache(maxsize=16)
def builder_data(name: str) -> dict[str, Any]:
    """The parsed ``data/<name>`` file of the builders package."""
    text = resources.files("babelvlm.builders").joinpath(f"data/{name}").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data
