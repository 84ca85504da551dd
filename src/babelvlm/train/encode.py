"""Chat-template encoding with role masking: labels only on the assistant's tokens (SPEC 10).

The conversation is rendered with the model's own chat template one turn at a time, and the text is cut
into segments: everything up to and including each generation prompt ("Assistant:") is masked (-100);
each assistant reply (with its end-of-turn token) is a label. Segments are tokenized separately, the way
``hf:`` tokenizes a prompt at inference, so training and evaluation see the same token boundaries; the
segments that hold image placeholders go through the processor, which expands them into image tokens.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from babelvlm.errors import ConfigError, DataError
from babelvlm.images import decode_image
from babelvlm.train.data import IMAGE_PLACEHOLDER, Conversation, Turn

IGNORE = -100


@dataclass
class Encoded:
    """One tokenized example: ids, labels (-100 where masked) and the processor's image tensors."""

    input_ids: list[int]
    labels: list[int]
    images: dict[str, Any] = field(default_factory=dict)
    n_images: int = 0


class ChatEncoder:
    """Turns a ``Conversation`` into ``Encoded`` with the processor (or bare tokenizer) of a model."""

    def __init__(self, processor: Any, max_length: int, nested_images: bool) -> None:
        self.processor = processor
        self.tokenizer = getattr(processor, "tokenizer", processor)
        self.multimodal = hasattr(processor, "image_processor")
        self.image_token = str(getattr(processor, "image_token", IMAGE_PLACEHOLDER))
        self.max_length = max_length
        self.nested_images = nested_images
        if getattr(self.tokenizer, "pad_token_id", None) is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token

    @property
    def pad_id(self) -> int:
        return int(self.tokenizer.pad_token_id)

    def encode(self, conversation: Conversation) -> Encoded:
        """Role-masked ids; images follow their placeholders in order."""
        ids: list[int] = []
        labels: list[int] = []
        tensors: dict[str, list[Any]] = {}
        images = [decode_image(ref.read_bytes(), ref.source) for ref in conversation.images]
        for text, is_answer in self.segments(conversation.turns, conversation.source):
            n_here = text.count(self.image_token) if self.multimodal else 0
            piece = self._tokenize(text, images[:n_here])
            images = images[n_here:]
            ids.extend(piece.pop("input_ids"))
            labels.extend(ids[len(labels) :] if is_answer else [IGNORE] * (len(ids) - len(labels)))
            for key, value in piece.items():
                tensors.setdefault(key, []).append(value)
        if len(ids) > self.max_length:
            ids, labels = ids[: self.max_length], labels[: self.max_length]
        if all(label == IGNORE for label in labels):
            raise DataError(
                f"{conversation.source}: no answer token left within max_length {self.max_length}",
                field="conversations",
                fix="--set max_length=4096",
            )
        return Encoded(ids, labels, _join_pieces(tensors, self.nested_images), len(conversation.images))

    def segments(self, turns: list[Turn], source: str) -> list[tuple[str, bool]]:
        """(text, is_answer) pieces whose concatenation is the rendered conversation."""
        pieces: list[tuple[str, bool]] = []
        done = ""
        for k, turn in enumerate(turns):
            full = self._render(turns[: k + 1], generation_prompt=False)
            if turn.role == "assistant":
                prompt = self._render(turns[:k], generation_prompt=True)
                self._check_prefix(done, prompt, source)
                self._check_prefix(prompt, full, source)
                pieces += [(prompt[len(done) :], False), (full[len(prompt) :], True)]
            else:
                self._check_prefix(done, full, source)
                pieces.append((full[len(done) :], False))
            done = full
        return [(text, answer) for text, answer in pieces if text]

    def _render(self, turns: list[Turn], generation_prompt: bool) -> str:
        messages = [{"role": t.role, "content": self._content(t)} for t in turns]
        text: str = self.processor.apply_chat_template(
            messages, add_generation_prompt=generation_prompt, tokenize=False
        )
        return text

    def _content(self, turn: Turn) -> Any:
        """Text, or typed parts (``image`` / ``text``) for a multimodal processor's template."""
        if not self.multimodal:
            return turn.text.replace(IMAGE_PLACEHOLDER, "")
        parts: list[dict[str, str]] = []
        for position, chunk in enumerate(turn.text.split(IMAGE_PLACEHOLDER)):
            if position:
                parts.append({"type": "image"})
            if chunk:
                parts.append({"type": "text", "text": chunk})
        return parts

    @staticmethod
    def _check_prefix(prefix: str, text: str, source: str) -> None:
        if not text.startswith(prefix):
            raise ConfigError(
                f"{source}: the chat template does not render a conversation as a prefix of its "
                "continuation, so assistant turns cannot be located (fix: use a template that only "
                "appends turns)"
            )

    def _tokenize(self, text: str, images: list[Any]) -> dict[str, Any]:
        """ids of one segment (+ image tensors when it holds images); no special tokens are added,
        the chat template wrote them."""
        if not images:
            return {"input_ids": self.tokenizer(text, add_special_tokens=False)["input_ids"]}
        batch_images = [images] if self.nested_images else images
        out = self.processor(text=[text], images=batch_images, add_special_tokens=False, return_tensors="pt")
        result = {k: v for k, v in out.items() if k != "attention_mask"}
        result["input_ids"] = out["input_ids"][0].tolist()
        return result


def _join_pieces(tensors: dict[str, list[Any]], nested: bool) -> dict[str, Any]:
    """Image tensors of several segments of one example, joined along the image axis (axis 1 in the
    nested ``[1, n_images, ...]`` layout of Idefics3, axis 0 otherwise)."""
    import torch

    return {key: torch.cat(values, dim=1 if nested else 0) for key, values in tensors.items()}
