"""Datasets that encode lazily, and the collator: right padding (labels -100), image tensors joined,
text-only samples allowed in a multimodal batch. MVCL-MI items become four rows each (eq. 10)."""

from __future__ import annotations

from typing import Any

import torch
from torch.utils.data import Dataset

from babelvlm.errors import DataError
from babelvlm.train.data import IMAGE_PLACEHOLDER, Conversation, ParallelItem, Turn
from babelvlm.train.encode import IGNORE, ChatEncoder, Encoded

VARIANTS = ("src_src", "tgt_src", "src_tgt", "tgt_tgt")
"""MVCL-MI rows per item, named question-language_answer-language (P^{a-b} of eq. 10)."""


class ConversationDataset(Dataset[list[Encoded]]):
    """Supervised conversations, encoded on access; ``lengths`` (text tokens + image tokens) for
    length-grouped batching without encoding images up front."""

    def __init__(self, conversations: list[Conversation], encoder: ChatEncoder) -> None:
        self.conversations = conversations
        self.encoder = encoder

    def __len__(self) -> int:
        return len(self.conversations)

    def __getitem__(self, index: int) -> list[Encoded]:
        return [self.encoder.encode(self.conversations[index])]

    def lengths(self) -> list[int]:
        """Approximate sequence lengths: chat-templated text tokens plus image tokens per image."""
        per_image = self._tokens_per_image()
        tokenizer = self.encoder.tokenizer
        return [
            len(tokenizer("".join(t for t, _ in self.encoder.segments(c.turns, c.source)))["input_ids"])
            + per_image * len(c.images)
            for c in self.conversations
        ]

    def _tokens_per_image(self) -> int:
        """Image tokens one image expands to, measured on the first example that has one image."""
        for conversation in self.conversations:
            if len(conversation.images) == 1:
                with_image = len(self.encoder.encode(conversation).input_ids)
                without = Conversation(
                    [Turn(t.role, t.text.replace(IMAGE_PLACEHOLDER, "")) for t in conversation.turns],
                    [],
                    conversation.source,
                )
                return max(0, with_image - len(self.encoder.encode(without).input_ids))
        return 0


class ParallelDataset(Dataset[list[Encoded]]):
    """MVCL-MI items: four encoded rows each, in ``VARIANTS`` order."""

    def __init__(self, items: list[ParallelItem], encoder: ChatEncoder) -> None:
        self.items = items
        self.encoder = encoder

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> list[Encoded]:
        item = self.items[index]
        rows = []
        for variant in VARIANTS:
            q_lang, a_lang = (item.src if part == "src" else item.tgt for part in variant.split("_"))
            placeholder = IMAGE_PLACEHOLDER if item.image is not None else ""
            turns = [
                Turn("user", placeholder + item.question[q_lang]),
                Turn("assistant", item.answer[a_lang]),
            ]
            images = [item.image] if item.image is not None else []
            rows.append(self.encoder.encode(Conversation(turns, images, f"{item.source} ({variant})")))
        _check_aligned(rows, item.source)
        return rows

    def lengths(self) -> list[int]:
        """Question + answer characters: a cheap proxy, enough for grouping."""
        return [
            len(i.question[i.src]) + len(i.question[i.tgt]) + 2 * len(i.answer[i.tgt]) for i in self.items
        ]


def _check_aligned(rows: list[Encoded], source: str) -> None:
    """The two rows of each KL term answer with the same tokens, so positions align (SPEC 10)."""
    answers = [[label for label in row.labels if label != IGNORE] for row in rows]
    if answers[0] != answers[1] or answers[2] != answers[3]:
        raise DataError(
            f"{source}: the same answer tokenizes differently after the two questions",
            field="answer",
            fix="check the chat template",
        )


class Collator:
    """Pads a list of examples (each a list of rows) into one batch; rows are ordered row-major by
    variant (all first rows, then all second rows, ...), which MVCL-MI splits back into four."""

    def __init__(self, pad_id: int, nested_images: bool) -> None:
        self.pad_id = pad_id
        self.nested_images = nested_images

    def __call__(self, examples: list[list[Encoded]]) -> dict[str, Any]:
        rows = [example[v] for v in range(len(examples[0])) for example in examples]
        width = max(len(r.input_ids) for r in rows)
        ids = torch.full((len(rows), width), self.pad_id, dtype=torch.long)
        labels = torch.full((len(rows), width), IGNORE, dtype=torch.long)
        mask = torch.zeros((len(rows), width), dtype=torch.long)
        for i, row in enumerate(rows):
            ids[i, : len(row.input_ids)] = torch.tensor(row.input_ids)
            labels[i, : len(row.labels)] = torch.tensor(row.labels)
            mask[i, : len(row.input_ids)] = 1
        batch: dict[str, Any] = {"input_ids": ids, "attention_mask": mask, "labels": labels}
        batch.update(self._images(rows))
        if len(examples[0]) > 1:
            batch["n_variants"] = len(examples[0])
        return batch

    def _images(self, rows: list[Encoded]) -> dict[str, Any]:
        """Image tensors of all rows: concatenated, or stacked with zero-padded image slots (Idefics3
        skips all-zero images); rows without images add nothing (text-only samples)."""
        with_images = [r for r in rows if r.images]
        if not with_images:
            return {}
        keys = with_images[0].images.keys()
        if not self.nested_images:
            return {k: torch.cat([r.images[k] for r in with_images], dim=0) for k in keys}
        most = max(r.images["pixel_values"].shape[1] for r in with_images)
        out = {}
        for key in keys:
            template = with_images[0].images[key]
            slots = []
            for row in rows:
                shape = (1, most, *template.shape[2:])
                slot = torch.zeros(shape, dtype=template.dtype)
                if row.images:
                    slot[:, : row.images[key].shape[1]] = row.images[key]
                slots.append(slot)
            out[key] = torch.cat(slots, dim=0)
        return out
