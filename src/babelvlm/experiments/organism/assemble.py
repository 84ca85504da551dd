"""Assemble the organism: an ordinary ``LlavaForConditionalGeneration`` directory from pretrained parts.

Frozen EfficientNet-Lite0 (BabelVLM's registered vision tower: feature map pooled to ``pool_size``^2
tokens, standardised with the training images' per-channel mean and std) -> LLaVA's 2-layer MLP projector
(fresh) -> SmolLM2-135M-Instruct or Gemma-3-270M (dequantised). Module names are LLaVA's own
(``model.vision_tower``, ``model.multi_modal_projector``, ``model.language_model`` + ``lm_head``), so
``babelvlm train`` maps them to its ``vision`` / ``projector`` / ``llm`` groups like any LLaVA, and
``hf:DIR`` loads the directory with its processor and chat template.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from babelvlm.experiments.organism import parts

IMAGE_TOKEN = "<image>"
TEMPLATES = Path(__file__).with_name("templates")
END_OF_TURN = {"smollm2": "<|im_end|>", "gemma3": "<end_of_turn>"}
FEATURE_MEAN_STD = (0.5, 0.5)
"""EfficientNet-Lite's TensorFlow preprocessing: (x - 127) / 128, i.e. [0, 1] pixels -> [-1, 1]."""


def assemble_organism(
    out_dir: Path,
    feature_images: Sequence[Any],
    language: str = "smollm2",
    image_size: int = 128,
    pool_size: int = 2,
    seed: int = 0,
    lm_dir: Path | None = None,
) -> Path:
    """Build, standardise on ``feature_images`` (PIL images of the training set) and save the organism.

    ``language`` names the LM family (template, end-of-turn token); ``lm_dir`` replaces the dequantised
    packaged LM with another directory of that family (tests use a tiny one)."""
    import torch

    from babelvlm.models.efficientnet_tower import register_architectures

    register_architectures()
    lm_dir = lm_dir or parts.language_model_dir(language)
    processor = build_processor(lm_dir, language, image_size, pool_size)
    torch.manual_seed(seed)  # the projector's initialisation
    model = build_model(lm_dir, processor, image_size, pool_size)
    n_tokens = standardise(model, processor, feature_images)
    set_generation_ids(model, processor.tokenizer, language)
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out_dir)
    processor.save_pretrained(out_dir)
    info = {
        "language_model": language,
        "image_size": image_size,
        "visual_tokens": pool_size * pool_size,
        "standardised_on": {"images": len(feature_images), "tokens": n_tokens},
        "seed": seed,
        "language_model_dir": str(lm_dir),
        "parts": {"vision": parts.parts_table()["vision"], "language": parts.parts_table()[language]},
    }
    (out_dir / "organism.json").write_text(
        json.dumps(info, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    return out_dir


def build_processor(lm_dir: Path, language: str, image_size: int, pool_size: int) -> Any:
    """LLaVA's processor: a PIL image processor (resize to a square, [-1, 1]), the LM's tokenizer with
    ``<image>`` added, and BabelVLM's chat template for the LM family (image placeholders, assistant
    turns marked for loss masking)."""
    from transformers import AutoTokenizer, LlavaProcessor
    from transformers.models.llava.image_processing_pil_llava import LlavaImageProcessorPil

    tokenizer = AutoTokenizer.from_pretrained(lm_dir)
    tokenizer.add_tokens([IMAGE_TOKEN], special_tokens=True)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = END_OF_TURN[language]
    mean, std = FEATURE_MEAN_STD
    image_processor = LlavaImageProcessorPil(
        size={"height": image_size, "width": image_size},
        crop_size={"height": image_size, "width": image_size},
        do_center_crop=False,
        image_mean=[mean] * 3,
        image_std=[std] * 3,
    )
    template = (TEMPLATES / parts.parts_table()[language]["template"]).read_text(encoding="utf-8")
    processor_class: Any = LlavaProcessor
    return processor_class(
        image_processor=image_processor,
        tokenizer=tokenizer,
        patch_size=image_size // pool_size,
        vision_feature_select_strategy="full",
        chat_template=template,
        image_token=IMAGE_TOKEN,
        num_additional_image_tokens=0,
    )


def build_model(lm_dir: Path, processor: Any, image_size: int, pool_size: int) -> Any:
    """A LlavaForConditionalGeneration holding the pretrained LM and vision weights (strict copies)."""
    from transformers import AutoModelForCausalLM, LlavaConfig, LlavaForConditionalGeneration

    from babelvlm.models.efficientnet_tower import EfficientNetLiteVisionConfig

    lm = AutoModelForCausalLM.from_pretrained(lm_dir, dtype="float32")
    tokenizer = processor.tokenizer
    config = LlavaConfig(
        vision_config=EfficientNetLiteVisionConfig(image_size=image_size, pool_size=pool_size).to_dict(),
        text_config=lm.config.to_dict(),
        image_token_index=tokenizer.convert_tokens_to_ids(IMAGE_TOKEN),
        projector_hidden_act="gelu",
        vision_feature_layer=-1,
        vision_feature_select_strategy="full",
        image_seq_length=pool_size * pool_size,
        tie_word_embeddings=bool(lm.config.tie_word_embeddings),
    )
    model: Any = LlavaForConditionalGeneration(config)
    init_projector(model.model.multi_modal_projector, float(lm.config.initializer_range))
    model.model.language_model.load_state_dict(lm.model.state_dict(), strict=True)
    model.lm_head.load_state_dict(lm.lm_head.state_dict(), strict=True)
    model.model.vision_tower.backbone.load_state_dict(parts.load_vision_backbone().state_dict(), strict=True)
    model.resize_token_embeddings(len(tokenizer))
    return model.float().eval()


def init_projector(projector: Any, std: float) -> None:
    """LLaVA's projector initialisation, explicitly: weights N(0, std), biases 0 (the constructor alone
    leaves freshly created weights uninitialised)."""
    import torch

    with torch.no_grad():
        for layer in (projector.linear_1, projector.linear_2):
            layer.weight.normal_(mean=0.0, std=std)
            layer.bias.zero_()


def standardise(model: Any, processor: Any, images: Sequence[Any], batch: int = 32) -> int:
    """Set the tower's per-channel mean and scale from the pooled tokens of ``images``; returns how many
    tokens were measured."""
    import torch

    if len(images) < 2:
        raise ValueError("standardisation needs at least two training images")
    tower = model.model.vision_tower
    chunks = []
    with torch.inference_mode():
        for start in range(0, len(images), batch):
            pixels = processor.image_processor(list(images[start : start + batch]), return_tensors="pt")
            chunks.append(tower.pooled_features(pixels["pixel_values"]).reshape(-1, tower.config.hidden_size))
    tokens = torch.cat(chunks)
    tower.set_standardisation(tokens.mean(dim=0), tokens.std(dim=0))
    return int(tokens.shape[0])


def set_generation_ids(model: Any, tokenizer: Any, language: str) -> None:
    """Stop at the end of the assistant turn (or end of text); pad with the tokenizer's pad token."""
    stops = [tokenizer.convert_tokens_to_ids(END_OF_TURN[language]), tokenizer.eos_token_id]
    model.generation_config.eos_token_id = list(dict.fromkeys(int(s) for s in stops if s is not None))
    model.generation_config.pad_token_id = int(tokenizer.pad_token_id)
    model.generation_config.do_sample = False
