"""The hf: backend on a tiny random Idefics3 (SmolVLM architecture) saved to disk and loaded offline."""

from __future__ import annotations

import io
import json
import re
import shutil
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from PIL import Image  # noqa: E402
from tiny_vlm import build_tiny_text_lm, build_tiny_vlm, hand_token_stats  # noqa: E402

from babelvlm.errors import ConfigError, ModelError  # noqa: E402
from babelvlm.models.hf import HFModel, create, fingerprint_model_dir  # noqa: E402
from babelvlm.models.registry import load_model  # noqa: E402
from babelvlm.schema import Request  # noqa: E402


def _png(color: tuple[int, int, int], size: tuple[int, int] = (80, 50)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "PNG")
    return buffer.getvalue()


def _request(prompt: str, images: list[bytes] | None = None, max_new_tokens: int = 6) -> Request:
    return Request(
        key=prompt,
        task="t",
        sample_id=prompt,
        prompt=prompt,
        images=images or [],
        max_new_tokens=max_new_tokens,
    )


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_vlm(tmp_path_factory.mktemp("tiny") / "smolvlm")


@pytest.fixture(scope="module")
def model(model_dir: Path) -> HFModel:
    loaded = load_model(f"hf:{model_dir}", {"batch_size": "4", "dtype": "float32"})
    assert isinstance(loaded, HFModel) and loaded.name == f"hf:{model_dir}"
    return loaded


IMAGES = [_png((200, 10, 10)), _png((10, 200, 10)), _png((10, 10, 200), (40, 90))]
PROMPTS = ["What is written on the sign?", "Quel est le prix ?", "看板には何と書いてありますか。"]


def test_batched_generation_equals_one_at_a_time(model: HFModel) -> None:
    requests = [_request(p, [img]) for p in PROMPTS for img in IMAGES[:2]]
    requests.append(_request("text only question", max_new_tokens=3))
    batched = model.generate(requests)
    single = [model.generate([r])[0] for r in requests]
    assert [o.text for o in batched] == [o.text for o in single]
    for output in batched:
        assert output.ok or "empty answer" in (output.error or "")
        assert output.meta["n_tokens"] <= 6
    assert batched[-1].meta["n_tokens"] <= 3
    assert len({o.text for o in batched}) > 1  # answers depend on the input


def test_bad_image_is_a_per_request_failure(model: HFModel) -> None:
    outputs = model.generate([_request("ok", [IMAGES[0]]), _request("broken", [b"not an image"])])
    assert outputs[0].error is None or "empty answer" in outputs[0].error
    assert outputs[1].text is None and "cannot be decoded" in (outputs[1].error or "")


def test_token_stats_match_hand_computed_entropy(model: HFModel) -> None:
    requests = [_request(p, [IMAGES[i]]) for i, p in enumerate(PROMPTS)]
    answers = ["The sign says open", "45", "営業中"]
    stats = model.token_stats(requests, answers)
    for request, answer, result in zip(requests, answers, stats, strict=True):
        entropies, logprobs = hand_token_stats(model, request, answer)
        assert result.error is None and result.top_k is None
        assert len(result.entropies) == len(entropies) > 0
        assert result.entropies == pytest.approx(entropies, abs=1e-4)
        assert result.logprobs == pytest.approx(logprobs, abs=1e-4)
    assert any(
        abs(h1 - h2) > 1e-3 for h1, h2 in zip(stats[0].entropies, stats[0].entropies[1:], strict=False)
    )


def test_token_stats_empty_answer_and_text_only(model: HFModel) -> None:
    stats = model.token_stats([_request("q", [IMAGES[0]]), _request("text only")], ["", "oui"])
    assert stats[0].error is not None and "empty answer" in stats[0].error
    assert stats[1].error is None and len(stats[1].entropies) == len(stats[1].logprobs) > 0


def test_fingerprint_tracks_weights_and_options(model_dir: Path, tmp_path: Path) -> None:
    base = fingerprint_model_dir(model_dir, {})
    assert base == fingerprint_model_dir(model_dir, {"batch_size": "2", "device": "cpu"})
    assert base != fingerprint_model_dir(model_dir, {"max_new_tokens": "5"})
    copy = Path(shutil.copytree(model_dir, tmp_path / "copy"))
    assert fingerprint_model_dir(copy, {}) == base
    other = build_tiny_vlm(tmp_path / "other", seed=1)
    assert fingerprint_model_dir(other, {}) != base


def test_bad_names_and_options(model_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown option"):
        create(str(model_dir), {"batchsize": "2"})
    with pytest.raises(ConfigError, match="positive integer"):
        create(str(model_dir), {"batch_size": "0"})
    with pytest.raises(ConfigError, match="cannot move the model"):
        create(str(model_dir), {"device": "nonsense"})
    with pytest.raises(ConfigError, match="dtype"):
        create(str(model_dir), {"dtype": "float8"})
    with pytest.raises(ModelError, match=r"no config\.json"):
        create(str(tmp_path), {})
    missing = tmp_path / "missing-model"
    with pytest.raises(ModelError, match=rf"hf:{re.escape(str(missing))}: the directory .* does not exist"):
        create(str(missing), {})  # a path: the cause is the missing directory, not a hub error
    with pytest.raises(ModelError, match="no model 'nobody/no-such-model' in the local Hugging Face cache"):
        create("nobody/no-such-model", {})


def test_engine_run_and_resume(model: HFModel, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from babelvlm.engine.runner import EvalConfig, run_eval

    (tmp_path / "a.png").write_bytes(IMAGES[0])
    rows = [{"id": str(i), "image": "a.png", "question": q, "answers": ["45"]} for i, q in enumerate(PROMPTS)]
    data = tmp_path / "vqa.jsonl"
    data.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    config = EvalConfig(
        model=f"hf:{model.model_dir}", tasks=["jsonl"], data=data, out=tmp_path / "run", progress=False
    )
    config.write_report = False
    first = run_eval(config, model=model).tasks["jsonl"]
    samples = [json.loads(line) for line in (tmp_path / "run" / "samples.jsonl").read_text().splitlines()]
    assert first.n_samples == 3 and len(samples) == 3
    assert all((s["prediction"] is None) == (s["error"] is not None) for s in samples)
    calls: list[int] = []
    original = model.generate
    monkeypatch.setattr(model, "generate", lambda reqs: calls.append(len(reqs)) or original(reqs))
    again = run_eval(config, model=model).tasks["jsonl"]
    assert sum(calls) == first.n_failed and again.n_samples == 3  # only failures are sent again


def test_text_only_causal_lm(tmp_path: Path) -> None:
    model = create(str(build_tiny_text_lm(tmp_path / "lm")), {"batch_size": "2"})
    requests = [_request("Quel est le prix ?"), _request("Is there a cat?", max_new_tokens=2)]
    outputs = model.generate(requests)
    assert all(o.ok or "empty answer" in (o.error or "") for o in outputs)
    assert [o.text for o in outputs] == [model.generate([r])[0].text for r in requests]
    (stats,) = model.token_stats([requests[0]], ["45 euros"])
    assert stats.error is None and len(stats.entropies) == len(stats.logprobs) > 0
    (with_image,) = model.generate([_request("q", [IMAGES[0]])])
    assert with_image.text is None and "no image processor" in (with_image.error or "")
    with pytest.raises(ModelError, match="no chat template"):
        create(str(build_tiny_text_lm(tmp_path / "bare", chat_template=False)), {})


def test_pre_decoded_images_give_the_same_stats(model: HFModel) -> None:
    """Bytes carrying their decoded image (the MI analysis' DecodedImageBytes) are not decoded again,
    and score exactly like the plain bytes."""
    from babelvlm.analysis.noise import DecodedImageBytes
    from babelvlm.models.hf import _decode_images

    image = Image.open(io.BytesIO(IMAGES[0])).convert("RGB")
    assert _decode_images(_request("p", [DecodedImageBytes(b"not an image", image)])) == [image]
    plain = [_request(p, [img]) for p, img in zip(PROMPTS, IMAGES, strict=True)]
    decoded = [
        _request(p, [DecodedImageBytes(img, Image.open(io.BytesIO(img)).convert("RGB"))])
        for p, img in zip(PROMPTS, IMAGES, strict=True)
    ]
    answers = ["The sign", "45", "open"]
    for a, b in zip(model.token_stats(plain, answers), model.token_stats(decoded, answers), strict=True):
        assert a.error is None and a.entropies == b.entropies and a.logprobs == b.logprobs
