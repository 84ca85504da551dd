"""Tiny random VLMs for the training tests, built offline: the Idefics3 of ``tests/models/tiny_vlm.py``
and a LLaVA (CLIP vision tower + Llama) with the same tokenizer and chat template, saved to a folder."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "models"))

from tiny_vlm import CHAT_TEMPLATE, build_tiny_vlm, build_tokenizer, tiny_text_config

LLAVA_IMAGE = 32
LLAVA_PATCH = 8

__all__ = ["build_tiny_llava", "build_tiny_vlm", "png", "write_llava_data", "write_xtvqa_data"]


def build_tiny_llava(out_dir: Path, seed: int = 0) -> Path:
    """Save a tiny random LLaVA model + processor (16 image tokens per image) to ``out_dir``."""
    import torch
    from transformers import CLIPImageProcessor, LlavaConfig, LlavaForConditionalGeneration, LlavaProcessor

    tokenizer = build_tokenizer()
    config = LlavaConfig(
        vision_config={
            "model_type": "clip_vision_model",
            "hidden_size": 32,
            "intermediate_size": 64,
            "num_hidden_layers": 2,
            "num_attention_heads": 2,
            "image_size": LLAVA_IMAGE,
            "patch_size": LLAVA_PATCH,
            "projection_dim": 32,
        },
        text_config={"model_type": "llama", **tiny_text_config(tokenizer)},
        image_token_id=tokenizer.convert_tokens_to_ids("<image>"),  # type: ignore[attr-defined]
        vision_feature_layer=-1,
        vision_feature_select_strategy="default",
        tie_word_embeddings=False,
    )
    torch.manual_seed(seed)
    model = LlavaForConditionalGeneration(config).eval()
    model.generation_config.pad_token_id = tokenizer.pad_token_id  # type: ignore[attr-defined]
    model.generation_config.eos_token_id = tokenizer.eos_token_id  # type: ignore[attr-defined]
    image_processor = CLIPImageProcessor(
        size={"shortest_edge": LLAVA_IMAGE}, crop_size={"height": LLAVA_IMAGE, "width": LLAVA_IMAGE}
    )
    processor = LlavaProcessor(
        image_processor=image_processor,
        tokenizer=tokenizer,
        patch_size=LLAVA_PATCH,
        vision_feature_select_strategy="default",
        image_token="<image>",
        num_additional_image_tokens=1,
        chat_template=CHAT_TEMPLATE,
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out_dir)
    processor.save_pretrained(out_dir)
    return out_dir


def png(color: tuple[int, int, int], size: int = 40) -> bytes:
    """A small solid PNG."""
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (size, size), color).save(buf, format="PNG")
    return buf.getvalue()


QA = [
    ("What is written on the sign?", "open"),
    ("Quel est le prix par personne ?", "quarante-cinq euros"),
    ("Was steht auf dem Schild?", "geöffnet"),
    ("Is there a cat in the image?", "Yes"),
    ("这个标志上写着什么？", "每人四十五元"),
    ("¿Qué dice el letrero?", "Dice abierto"),
]


def write_llava_data(folder: Path, n: int = 8, text_only_every: int = 0) -> Path:
    """LLaVA conversation JSON: ``n`` rows, one image each (every ``text_only_every``-th row none)."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for i in range(n):
        question, answer = QA[i % len(QA)]
        row: dict[str, object] = {"id": str(i)}
        if text_only_every and i % text_only_every == text_only_every - 1:
            human = question
        else:
            name = f"img{i}.png"
            (folder / name).write_bytes(png((30 * i % 255, 100, 200 - 20 * (i % 8))))
            row["image"] = name
            human = "<image>\n" + question
        row["conversations"] = [{"from": "human", "value": human}, {"from": "gpt", "value": answer}]
        rows.append(row)
    path = folder / "train.json"
    path.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    return path


def write_xtvqa_data(folder: Path, n: int = 4) -> Path:
    """XT-VQA JSONL with parallel en/fr questions and answers, source language en."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = []
    for i in range(n):
        (folder / f"x{i}.png").write_bytes(png((20 * i, 50, 90)))
        row = {
            "dataset": "textvqa",
            "id": str(i),
            "image": f"x{i}.png",
            "question_en": "What is written on the sign?",
            "question_fr": "Quel est le prix par personne ?",
            "answer_en": "open" if i % 2 else "Yes",
            "answer_fr": "quarante-cinq euros",
            "source_lang": "en",
        }
        lines.append(json.dumps(row, ensure_ascii=False))
    path = folder / "xtvqa.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
