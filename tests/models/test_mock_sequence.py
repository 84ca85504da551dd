"""mock:sequence: replies in turn whatever the prompt (a judge scripted per run), with injected failures."""

from __future__ import annotations

import pytest

from babelvlm.errors import ConfigError
from babelvlm.models.registry import load_model
from babelvlm.schema import Request


def _req(key: str) -> Request:
    return Request(key=key, task="t", sample_id=key, prompt="same prompt")


def test_replies_in_turn() -> None:
    model = load_model("mock:sequence", {"replies": '["Score: 5", "Score: 3"]'})
    texts = [o.text for o in model.generate([_req("a"), _req("b"), _req("c")])]
    assert texts == ["Score: 5", "Score: 3", "Score: 5"]
    assert model.fingerprint == 'mock:sequence:["Score: 5", "Score: 3"]' and model.name == "mock:sequence"


def test_failures_and_bad_options() -> None:
    failing = load_model("mock:sequence", {"replies": '["x"]', "fail_rate": "1"})
    assert not failing.generate([_req("a")])[0].ok
    for options in ({}, {"replies": "x"}, {"replies": "[]"}, {"replies": '["x"]', "colour": "red"}):
        with pytest.raises(ConfigError):
            load_model("mock:sequence", options)
