"""The mock backend: modes, options, deterministic injected failures."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from babelvlm.errors import ConfigError, UnknownNameError
from babelvlm.models.mock import MockModel, create, injected_failure
from babelvlm.models.registry import load_model
from babelvlm.schema import Request


def _req(i: int, attempt: int = 1) -> Request:
    return Request(
        key=f"key{i}",
        task="t",
        sample_id=str(i),
        prompt=f"prompt {i}",
        references=[f"ans{i}", "x"],
        attempt=attempt,
    )


def test_modes() -> None:
    reqs = [_req(0), _req(1)]
    assert [o.text for o in load_model("mock:echo").generate(reqs)] == ["prompt 0", "prompt 1"]
    assert [o.text for o in load_model("mock:answer").generate(reqs)] == ["ans0", "ans1"]
    assert [o.text for o in load_model("mock:constant", {"text": "42"}).generate(reqs)] == ["42", "42"]
    assert load_model("mock:echo").name == "mock:echo"


def test_answer_without_reference_is_a_failure_not_an_empty_answer() -> None:
    out = create("answer", {}).generate([Request(key="k", task="t", sample_id="1", prompt="p")])[0]
    assert not out.ok and out.error is not None and "no reference" in out.error


def test_failures_are_deterministic_and_depend_on_attempt() -> None:
    model = create("answer", {"fail_rate": "0.3", "seed": "7"})
    reqs = [_req(i) for i in range(400)]
    first = [o.ok for o in model.generate(reqs)]
    assert first == [o.ok for o in model.generate(reqs)]
    share = first.count(False) / len(first)
    assert 0.22 < share < 0.38
    assert first == [not injected_failure(7, r.key, 1, 0.3) for r in reqs]
    retried = model.generate([_req(i, attempt=2) for i in range(400) if not first[i]])
    assert sum(o.ok for o in retried) > 0.5 * len(retried)  # a re-run recovers most failures
    other_seed = create("answer", {"fail_rate": "0.3", "seed": "8"}).generate(reqs)
    assert [o.ok for o in other_seed] != first


def test_fingerprint_ignores_delay_and_failures() -> None:
    assert (
        create("answer", {"delay": "0.1", "fail_rate": "0.5"}).fingerprint == create("answer", {}).fingerprint
    )
    assert create("constant", {"text": "a"}).fingerprint != create("constant", {"text": "b"}).fingerprint


def test_delay_and_batching_options() -> None:
    model = create("echo", {"delay": "0.05", "batch_size": "4", "max_concurrency": "3"})
    assert (model.batch_size, model.max_concurrency) == (4, 3)
    start = time.perf_counter()
    outs = model.generate([_req(i) for i in range(4)])
    assert time.perf_counter() - start >= 0.05
    assert all(o.latency_s >= 0.05 for o in outs)


@pytest.mark.parametrize(
    ("target", "options", "needle"),
    [
        ("nonsense", {}, "unknown mock mode"),
        ("echo", {"fail_rate": "2"}, r"not in \[0, 1\]"),
        ("echo", {"delay": "soon"}, "not a number"),
        ("echo", {"colour": "red"}, "unknown mock option"),
        ("echo", {"batch_size": "0"}, ">= 1"),
    ],
)
def test_bad_options_are_config_errors(target: str, options: dict[str, str], needle: str) -> None:
    with pytest.raises(ConfigError, match=needle):
        create(target, options)


def test_unknown_provider() -> None:
    with pytest.raises(UnknownNameError, match="mock"):
        load_model("nosuch:thing")
    assert isinstance(create("echo", {}), MockModel)


def test_script_mode_answers_by_the_first_matching_rule(tmp_path: Path) -> None:
    rules = tmp_path / "rules.json"
    rules.write_text(
        json.dumps([{"contains": ["prompt", "1"], "reply": "one"}, {"contains": "prompt", "reply": "any"}])
    )
    model = load_model("mock:script", {"file": str(rules)})
    outputs = model.generate([_req(0), _req(1), Request(key="k", task="t", sample_id="s", prompt="other")])
    assert [o.text for o in outputs[:2]] == ["any", "one"]
    assert outputs[2].error == "mock:script: no rule matches the prompt"
    rules.write_text(json.dumps([{"contains": "prompt", "reply": "changed"}]))
    assert load_model("mock:script", {"file": str(rules)}).fingerprint != model.fingerprint
    with pytest.raises(ConfigError, match="needs its rules"):
        load_model("mock:script")
    rules.write_text("[{}]")
    with pytest.raises(ConfigError, match="KeyError"):
        load_model("mock:script", {"file": str(rules)})
