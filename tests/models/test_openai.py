"""The openai: backend against a fake server on 127.0.0.1 that injects latency and faults."""

from __future__ import annotations

import asyncio
import base64
import json
import math
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fake_openai_server import FakeOpenAIServer, FakeServerConfig

from babelvlm.errors import ConfigError
from babelvlm.models.openai_api import OpenAIModel, create, image_data_url, parse_chat, run_sync
from babelvlm.models.openai_logprobs import stats_from_prompt_logprobs
from babelvlm.models.openai_retry import RetryPolicy, parse_retry_after
from babelvlm.models.registry import load_model
from babelvlm.schema import Request

FAST = {"backoff": "0.01", "backoff_max": "0.05", "max_retries": "3", "timeout": "5"}
PNG_1PX = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


def _request(prompt: str, images: list[bytes] | None = None) -> Request:
    return Request(
        key=prompt, task="t", sample_id=prompt, prompt=prompt, images=images or [], max_new_tokens=8
    )


@pytest.fixture(scope="module")
def server() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer(FakeServerConfig(retry_after=0.2, slow_s=4.0)) as srv:
        yield srv


def _model(server: FakeOpenAIServer, **options: str) -> OpenAIModel:
    model = create(f"{server.base_url}#fake-vlm", {**FAST, **options})
    assert isinstance(model, OpenAIModel)
    return model


def test_answers_in_order_with_images(server: FakeOpenAIServer) -> None:
    model = _model(server)
    outputs = model.generate([_request(f"q{i}", [PNG_1PX]) for i in range(5)] + [_request("text only")])
    assert [o.text for o in outputs] == [f"answer: q{i}" for i in range(5)] + ["answer: text only"]
    body = next(
        b for b in server.log.bodies if b["messages"][0]["content"][-1] == {"type": "text", "text": "q0"}
    )
    parts = body["messages"][0]["content"]
    assert len(parts) == 2 and body["model"] == "fake-vlm"
    assert parts[0]["image_url"]["url"] == "data:image/png;base64," + base64.b64encode(PNG_1PX).decode()
    assert body["max_tokens"] == 8 and body["temperature"] == 0.0
    text_body = next(b for b in server.log.bodies if b["messages"][0]["content"] == "text only")
    assert text_body["messages"] == [{"role": "user", "content": "text only"}]


def test_every_fault_is_retried_until_success(server: FakeOpenAIServer) -> None:
    prompts = ["a [[429x2]]", "b [[500x3]]", "c [[badjsonx2]]", "d [[dropx2]]", "e [[slowx1]]", "f"]
    model = _model(server, timeout="2.0")  # wide margin: a loaded machine must not time out a fast reply
    outputs = model.generate([_request(p) for p in prompts])
    for prompt, output in zip(prompts, outputs, strict=True):
        assert output.ok, (prompt, output.error)
        assert output.text == f"answer: {prompt}"
        assert output.meta["attempts"] == server.log.attempts[prompt]
        assert server.log.answered[prompt] == 1
    assert [o.meta["attempts"] for o in outputs] == [3, 4, 3, 3, 2, 1]


def test_retry_after_is_honoured(server: FakeOpenAIServer) -> None:
    model = _model(server)
    (output,) = model.generate([_request("ra [[429x1]]")])
    first, second = server.log.times["ra [[429x1]]"]
    assert output.ok and second - first >= 0.2 * 0.95


def test_failures_recorded_after_retries_exhausted(server: FakeOpenAIServer) -> None:
    model = _model(server, max_retries="2")
    prompts = ["x [[500x9]]", "y [[badjsonx9]]", "z [[dropx9]]", "ok"]
    outputs = model.generate([_request(p) for p in prompts])
    for prompt, output in zip(prompts[:3], outputs[:3], strict=True):
        assert not output.ok and output.text is None
        assert "failed after 3 attempts" in (output.error or "")
        assert server.log.attempts[prompt] == 3
    assert "HTTP 500" in (outputs[0].error or "") and "malformed" in (outputs[1].error or "")
    assert "connection error" in (outputs[2].error or "")
    assert outputs[3].text == "answer: ok"


def test_4xx_is_a_clear_error_without_retry(server: FakeOpenAIServer) -> None:
    (output,) = _model(server).generate([_request("bad [[400]]")])
    assert output.error is not None and "HTTP 400" in output.error and "image too large" in output.error
    assert server.log.attempts["bad [[400]]"] == 1


def test_empty_answer_is_a_failure_not_a_silent_empty_string(server: FakeOpenAIServer) -> None:
    (output,) = _model(server).generate([_request("nothing [[empty]]")])
    assert output.text is None and "empty answer" in (output.error or "")


def test_concurrency_is_bounded_and_used() -> None:
    # 0.2 s per reply: time enough for all 10 slots to fill even when the client starts slowly
    with FakeOpenAIServer(FakeServerConfig(latency=0.2)) as srv:
        model = create(f"{srv.base_url}#m", {"concurrency": "10"})
        started = time.perf_counter()
        outputs = model.generate([_request(f"c{i}") for i in range(30)])
        elapsed = time.perf_counter() - started
        assert srv.log.max_in_flight == 10
    assert all(o.ok for o in outputs)
    assert 0.6 <= elapsed < 3.0  # 3 waves of 10 requests, never 30 at once


def test_random_faults_lose_no_request() -> None:
    with FakeOpenAIServer(FakeServerConfig(fault_rate=0.3, retry_after=0.0, seed=3)) as srv:
        model = create(f"{srv.base_url}#m", {**FAST, "max_retries": "8", "concurrency": "16"})
        prompts = [f"r{i}" for i in range(60)]
        outputs = model.generate([_request(p) for p in prompts])
        assert [o.text for o in outputs] == [f"answer: {p}" for p in prompts]
        assert sum(srv.log.attempts.values()) > len(prompts)  # faults were injected and retried
        assert all(srv.log.answered[p] == 1 for p in prompts)


def test_works_inside_a_running_event_loop(server: FakeOpenAIServer) -> None:
    model = _model(server)

    async def inside() -> str | None:
        return model.generate([_request("loop")])[0].text

    assert asyncio.run(inside()) == "answer: loop"


def test_token_stats_top_k_from_prompt_logprobs(server: FakeOpenAIServer) -> None:
    model = _model(server, top_logprobs="5")
    stats = model.token_stats([_request("what?"), _request("q2")], ["oui", "45"])
    expected_h = -(0.5 * math.log(0.5) + 4 * 0.1 * math.log(0.1))
    for result, answer in zip(stats, ["oui", "45"], strict=True):
        assert result.error is None and result.top_k == 5
        assert result.logprobs == pytest.approx([math.log(0.5)] * len(answer))
        assert result.entropies == pytest.approx([expected_h] * len(answer))
    tf_bodies = [b for b in server.log.bodies if b.get("continue_final_message")]
    assert {b["messages"][-1]["content"] for b in tf_bodies} >= {"oui", "45"}
    assert all(b["prompt_logprobs"] == 5 and b["messages"][-1]["role"] == "assistant" for b in tf_bodies)


def test_token_stats_says_when_the_server_cannot_teacher_force(server: FakeOpenAIServer) -> None:
    (result,) = _model(server).token_stats([_request("plain [[nologprobs]]")], ["yes"])
    assert result.entropies == [] and "cannot teacher-force" in (result.error or "")


def test_stats_alignment_uses_common_prefix() -> None:
    lp = {"7": {"logprob": math.log(0.25)}, "8": {"logprob": math.log(0.75)}}
    stats = stats_from_prompt_logprobs([1, 2, 3], [1, 2, 7, 8], [None, {}, lp, lp], top_k=2)
    assert stats.logprobs == pytest.approx([math.log(0.25), math.log(0.75)])
    bad = stats_from_prompt_logprobs([1, 2], [1, 2, 9], [None, {}, lp], top_k=2)
    assert bad.error is not None and "lacks the actual token 9" in bad.error


def test_names_options_and_helpers() -> None:
    assert load_model("openai:http://h:1/v1#m").name == "openai:http://h:1/v1#m"
    for bad in ["http://h:1/v1", "h:1#m", "http://h#"]:
        with pytest.raises(ConfigError, match="openai:<base_url>#<model>"):
            create(bad, {})
    with pytest.raises(ConfigError, match="unknown option"):
        create("http://h/v1#m", {"concurency": "2"})
    with pytest.raises(ConfigError, match="concurrency"):
        create("http://h/v1#m", {"concurrency": "0"})
    a, b = create("http://h/v1#m", {}), create("http://h/v1#m", {"seed": "1"})
    assert (
        a.fingerprint != b.fingerprint
        and a.fingerprint == create("http://h/v1#m", {"concurrency": "2"}).fingerprint
    )
    assert image_data_url(b"\xff\xd8\xff rest").startswith("data:image/jpeg;base64,")
    assert parse_retry_after("2.5") == 2.5 and parse_retry_after(None) is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    assert parse_chat({"choices": [{"message": {"content": [{"type": "text", "text": "hi"}]}}]}) == (
        "hi",
        None,
    )
    with pytest.raises(ValueError):
        parse_chat({"error": "x"})
    policy = RetryPolicy(backoff=1.0, backoff_max=4.0)
    assert 2.0 <= policy.delay(2, None) <= 4.0 and policy.delay(0, 7.0) == 7.0
    assert run_sync(asyncio.sleep(0, result=3)) == 3


def test_api_key_header(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "env-key")
    assert create("http://h/v1#m", {}).headers["Authorization"] == "Bearer env-key"  # type: ignore[attr-defined]
    assert create("http://h/v1#m", {"api_key": "k"}).headers["Authorization"] == "Bearer k"  # type: ignore[attr-defined]


def _jsonl_task(tmp_path: Path, questions: list[str]) -> Path:
    (tmp_path / "img.png").write_bytes(PNG_1PX)
    rows = [
        {"id": str(i), "image": "img.png", "question": q, "answers": [f"answer: {q}"]}
        for i, q in enumerate(questions)
    ]
    data = tmp_path / "vqa.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return data


def test_engine_run_records_failures_and_resumes(tmp_path: Path) -> None:
    from babelvlm.engine.runner import EvalConfig, run_eval

    questions = ["q1", "q2 [[429x1]]", "q3 [[400]]", "q4 [[500x99]]", "q5 [[dropx1]]"]
    data = _jsonl_task(tmp_path, questions)
    with FakeOpenAIServer(FakeServerConfig(retry_after=0.0)) as srv:
        config = EvalConfig(
            model=f"openai:{srv.base_url}#fake",
            model_options={**FAST, "max_retries": "2"},
            tasks=["jsonl"],
            data=data,
            out=tmp_path / "run",
            progress=False,
            write_report=False,
        )
        result = run_eval(config).tasks["jsonl"]
        assert result.n_samples == 5 and result.n_failed == 2
        assert result.scores["exact_match"] == pytest.approx(1.0)  # failures excluded, never scored 0
        rows = [json.loads(line) for line in (tmp_path / "run" / "samples.jsonl").read_text().splitlines()]
        errors = {r["sample_id"]: r["error"] for r in rows}
        assert "HTTP 400" in errors["2"] and "failed after 3 attempts" in errors["3"]
        sent = sum(srv.log.attempts.values())
        run_eval(config)  # resume: only the two failures are sent again
        resent = [p for p in srv.log.attempts if srv.log.attempts[p] > 0]
        assert sum(srv.log.attempts.values()) - sent == 1 + 3 and len(resent) == 5


def test_unreachable_server_stops_after_max_connect_failures() -> None:
    import socket

    from babelvlm.models.openai_retry import ServerUnreachable

    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    model = create(
        f"http://127.0.0.1:{port}/v1#m", {**FAST, "max_retries": "50", "max_connect_failures": "5"}
    )
    assert isinstance(model, OpenAIModel) and model.breaker.limit == 5
    start = time.perf_counter()
    with pytest.raises(
        ServerUnreachable, match=rf"cannot reach http://127.0.0.1:{port}/v1/chat/completions: Connect"
    ):
        model.generate([_request(f"q{i}") for i in range(20)])
    assert time.perf_counter() - start < 5  # not 20 requests x 51 attempts
    with pytest.raises(ConfigError, match="max_connect_failures"):
        create(f"http://127.0.0.1:{port}/v1#m", {"max_connect_failures": "0"})


def test_any_answer_resets_the_connection_count(server: FakeOpenAIServer) -> None:
    model = _model(server, max_connect_failures="1")
    model.breaker.consecutive = 7  # as if the server had been down for a while
    outputs = model.generate([_request("fine"), _request("x [[500x2]]")])
    assert outputs[0].text == "answer: fine" and outputs[1].ok and model.breaker.consecutive == 0
    assert create(f"{server.base_url}#m", {}).breaker.limit == 16  # 2 x the default concurrency of 8
