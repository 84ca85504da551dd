"""Build a tiny random-initialised Idefics3 (SmolVLM architecture) model directory, offline.

The directory holds everything ``hf:<dir>`` loads in real use: ``config.json`` + safetensors weights, a
BPE tokenizer trained here on a few multilingual sentences (``PreTrainedTokenizerFast`` with a chat
template) and an ``Idefics3ImageProcessor`` at 64 px. Other teams' tests (e.g. the mutual-information
analysis) reuse it: ``build_tiny_vlm(tmp_path / "tiny")``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

CHAT_TEMPLATE = (
    "<|im_start|>{% for message in messages %}{{ message['role'] | capitalize }}: "
    "{% if message['content'] is string %}{{ message['content'] }}{% else %}"
    "{% for part in message['content'] %}{% if part['type'] == 'text' %}{{ part['text'] }}"
    "{% elif part['type'] == 'image' %}{{ '<image>' }}{% endif %}{% endfor %}{% endif %}"
    "{% if not (continue_final_message and loop.last) %}<end_of_utterance>\n{% endif %}{% endfor %}"
    "{% if add_generation_prompt %}{{ 'Assistant:' }}{% endif %}"
)
"""A SmolVLM-style chat template: ``User: <image>question<end_of_utterance>\\nAssistant:``."""

SPECIAL_TOKENS = [
    "<pad>",
    "<|im_start|>",
    "<end_of_utterance>",
    "<fake_token_around_image>",
    "<image>",
    "<global-img>",
]

CORPUS = [
    "What is written on the sign? The sign says open from nine to five.",
    "Quel est le prix par personne ? Le prix est de quarante-cinq euros.",
    "Was steht auf dem Schild? Auf dem Schild steht geöffnet.",
    "看板には何と書いてありますか。営業中と書いてあります。",
    "这个标志上写着什么？每人四十五元。",
    "Answer with a single word. Yes or no? Is there a cat in the image?",
    "Assistant: User: The answer is 45. Réponse : oui. Antwort: nein.",
    "¿Qué dice el letrero? Dice abierto. Что написано на знаке? Открыто.",
]

IMAGE_SIZE = 64
PATCH_SIZE = 16
SCALE_FACTOR = 2
IMAGE_SEQ_LEN = (IMAGE_SIZE // PATCH_SIZE) ** 2 // SCALE_FACTOR**2


def build_tokenizer(vocab_size: int = 400) -> object:
    """Train a byte-level BPE on ``CORPUS`` and wrap it as a ``PreTrainedTokenizerFast``."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    bpe = Tokenizer(models.BPE(unk_token=None))
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    bpe.train_from_iterator(CORPUS, trainer=trainer)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=bpe,
        bos_token="<|im_start|>",
        eos_token="<end_of_utterance>",
        pad_token="<pad>",
        additional_special_tokens=["<fake_token_around_image>", "<image>", "<global-img>"],
    )
    tokenizer.chat_template = CHAT_TEMPLATE
    return tokenizer


def tiny_text_config(tokenizer: Any) -> dict[str, Any]:
    """The tiny Llama-style language model inside the tiny VLMs (also the LLaVA of the training tests)."""
    return {
        "vocab_size": len(tokenizer),
        "hidden_size": 64,
        "intermediate_size": 128,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
        "max_position_embeddings": 512,
        "initializer_range": 0.3,
        "pad_token_id": tokenizer.pad_token_id,
        "bos_token_id": tokenizer.bos_token_id,
        "eos_token_id": tokenizer.eos_token_id,
    }


def build_tiny_vlm(out_dir: Path, seed: int = 0) -> Path:
    """Save a tiny random Idefics3 model + processor to ``out_dir`` and return it (about a second)."""
    import torch
    from transformers import Idefics3Config, Idefics3ForConditionalGeneration, Idefics3Processor
    from transformers.models.idefics3 import image_processing_pil_idefics3 as pil_proc

    tokenizer = build_tokenizer()
    image_token_id = tokenizer.convert_tokens_to_ids("<image>")  # type: ignore[attr-defined]
    config = Idefics3Config(
        vision_config={
            "hidden_size": 32,
            "intermediate_size": 64,
            "num_hidden_layers": 2,
            "num_attention_heads": 2,
            "image_size": IMAGE_SIZE,
            "patch_size": PATCH_SIZE,
        },
        text_config=tiny_text_config(tokenizer),
        scale_factor=SCALE_FACTOR,
        image_token_id=image_token_id,
        pad_token_id=tokenizer.pad_token_id,  # type: ignore[attr-defined]
        tie_word_embeddings=False,
    )
    torch.manual_seed(seed)
    model = Idefics3ForConditionalGeneration(config).eval()
    model.generation_config.pad_token_id = tokenizer.pad_token_id  # type: ignore[attr-defined]
    model.generation_config.eos_token_id = tokenizer.eos_token_id  # type: ignore[attr-defined]
    image_processor = pil_proc.Idefics3ImageProcessorPil(
        do_image_splitting=False,
        size={"longest_edge": IMAGE_SIZE},
        max_image_size={"longest_edge": IMAGE_SIZE},
    )
    processor = Idefics3Processor(
        image_processor=image_processor,
        tokenizer=tokenizer,
        image_seq_len=IMAGE_SEQ_LEN,
        chat_template=CHAT_TEMPLATE,
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out_dir)
    processor.save_pretrained(out_dir)
    return out_dir


def build_tiny_text_lm(out_dir: Path, seed: int = 0, chat_template: bool = True) -> Path:
    """A tiny random Llama causal LM + the same tokenizer (AutoProcessor gives a bare tokenizer)."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    tokenizer = build_tokenizer()
    if not chat_template:
        tokenizer.chat_template = None  # type: ignore[attr-defined]
    config = LlamaConfig(
        vocab_size=len(tokenizer),  # type: ignore[arg-type]
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=1,
        num_attention_heads=2,
        num_key_value_heads=1,
        max_position_embeddings=256,
        initializer_range=0.3,
        pad_token_id=tokenizer.pad_token_id,  # type: ignore[attr-defined]
        bos_token_id=tokenizer.bos_token_id,  # type: ignore[attr-defined]
        eos_token_id=tokenizer.eos_token_id,  # type: ignore[attr-defined]
    )
    torch.manual_seed(seed)
    LlamaForCausalLM(config).save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)  # type: ignore[attr-defined]
    return out_dir


def hand_token_stats(model: Any, request: Any, answer: str) -> tuple[list[float], list[float]]:
    """Per-answer-token entropy (nats) and log-prob from one unbatched float64 forward pass over the
    chat-templated prompt + image + answer: the independent reference the hf and MI tests compare with."""
    import io

    import torch
    from PIL import Image

    processor = model.processor
    text = processor.apply_chat_template(
        [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": request.prompt}]}],
        add_generation_prompt=True,
        tokenize=False,
    )
    image = Image.open(io.BytesIO(request.images[0])).convert("RGB")
    inputs = processor(text=[text], images=[[image]], return_tensors="pt")
    answer_ids = processor.tokenizer(answer, add_special_tokens=False)["input_ids"]
    n_prompt = inputs["input_ids"].shape[1]
    inputs["input_ids"] = torch.cat([inputs["input_ids"], torch.tensor([answer_ids])], dim=1)
    inputs["attention_mask"] = torch.ones_like(inputs["input_ids"])
    with torch.no_grad():
        logits = model.model(**inputs).logits[0].double()
    entropies, logprobs = [], []
    for t, token in enumerate(answer_ids):
        p = torch.softmax(logits[n_prompt - 1 + t], dim=-1)
        entropies.append(float(-(p * p.log()).sum()))
        logprobs.append(float(p[token].log()))
    return entropies, logprobs
