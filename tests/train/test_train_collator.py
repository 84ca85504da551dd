"""Role masking: loss only on assistant tokens; text-only rows in a multimodal batch; length grouping."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch
import transformers

from babelvlm.train.collator import Collator, ConversationDataset
from babelvlm.train.data import Conversation, Turn, read_conversations
from babelvlm.train.encode import IGNORE, ChatEncoder


def _setup(model_dir: Path, nested: bool) -> tuple[Any, ChatEncoder]:
    processor = transformers.AutoProcessor.from_pretrained(model_dir)
    model = transformers.AutoModelForImageTextToText.from_pretrained(model_dir)
    return model, ChatEncoder(processor, 512, nested)


@pytest.mark.parametrize("arch", ["idefics3", "llava"])
def test_only_assistant_tokens_are_labels(tiny_dirs: dict[str, Path], llava_data: Path, arch: str) -> None:
    _, encoder = _setup(tiny_dirs[arch], arch == "idefics3")
    turns = [
        Turn("system", "Be brief."),
        Turn("user", "<image>What is written?"),
        Turn("assistant", "open"),
        Turn("user", "And the price?"),
        Turn("assistant", "45 euros"),
    ]
    conversation = read_conversations(str(llava_data))[0]
    encoded = encoder.encode(Conversation(turns, conversation.images, "t"))
    kept = [t for t in encoded.labels if t != IGNORE]
    text = encoder.tokenizer.decode(kept)
    assert text == " open<end_of_utterance>\n 45 euros<end_of_utterance>\n"  # reply + end of turn
    image_id = encoder.tokenizer.convert_tokens_to_ids("<image>")
    positions = [i for i, t in enumerate(encoded.input_ids) if t == image_id]
    assert positions and all(encoded.labels[i] == IGNORE for i in positions)
    answer_ids = encoder.tokenizer(" open", add_special_tokens=False)["input_ids"]
    assert kept[: len(answer_ids)] == answer_ids  # tokenized as at inference: the answer on its own


@pytest.mark.parametrize("arch", ["idefics3", "llava"])
def test_masked_positions_never_count(tiny_dirs: dict[str, Path], llava_data: Path, arch: str) -> None:
    """Changing what sits at prompt, image-placeholder-free text and padding positions of the labels
    (kept masked) or padding more leaves the loss identical; changing an answer label does not."""
    model, encoder = _setup(tiny_dirs[arch], arch == "idefics3")
    dataset = ConversationDataset(read_conversations(str(llava_data)), encoder)
    collate = Collator(encoder.pad_id, arch == "idefics3")
    batch = collate([dataset[0], dataset[1], dataset[2]])
    with torch.no_grad():
        base = model(**batch).loss
        longer = collate([dataset[0], dataset[1], dataset[2]])
        extra = 7
        for key in ("input_ids", "labels", "attention_mask"):
            fill = {"input_ids": encoder.pad_id, "labels": IGNORE, "attention_mask": 0}[key]
            longer[key] = torch.cat([longer[key], torch.full((3, extra), fill)], dim=1)
        assert torch.allclose(model(**longer).loss, base, atol=1e-6)
        masked = batch["labels"] == IGNORE
        other = dict(batch, input_ids=torch.where(batch["attention_mask"] == 0, 5, batch["input_ids"]))
        assert torch.allclose(model(**other).loss, base, atol=1e-6)  # pad ids themselves never count
        changed = batch["labels"].clone()
        changed[~masked] = (changed[~masked] + 1) % 50
        assert not torch.allclose(model(**dict(batch, labels=changed)).loss, base)


def test_text_only_rows_mix_with_image_rows(tiny_dirs: dict[str, Path], llava_data: Path) -> None:
    for arch in ("idefics3", "llava"):
        model, encoder = _setup(tiny_dirs[arch], arch == "idefics3")
        dataset = ConversationDataset(read_conversations(str(llava_data)), encoder)
        collate = Collator(encoder.pad_id, arch == "idefics3")
        mixed = collate([dataset[1], dataset[2]])  # row 3 (index 2) has no image
        assert torch.isfinite(model(**mixed).loss)
        only_text = collate([dataset[2], dataset[5]])
        assert "pixel_values" not in only_text and torch.isfinite(model(**only_text).loss)


def test_length_grouping_pads_less(tiny_dirs: dict[str, Path], llava_data: Path) -> None:
    from transformers.trainer_pt_utils import LengthGroupedSampler

    _, encoder = _setup(tiny_dirs["llava"], False)
    conversations = read_conversations(str(llava_data)) * 8
    dataset = ConversationDataset(conversations, encoder)
    lengths = dataset.lengths()
    exact = [len(dataset[i][0].input_ids) for i in range(len(dataset))]
    assert all(abs(a - b) <= 2 for a, b in zip(lengths, exact, strict=True))

    def padding(order: list[int]) -> float:
        batches = [order[i : i + 4] for i in range(0, len(order), 4)]
        pad = sum(max(exact[i] for i in b) * len(b) - sum(exact[i] for i in b) for b in batches)
        return pad / sum(max(exact[i] for i in b) * len(b) for b in batches)

    torch.manual_seed(0)
    grouped = list(LengthGroupedSampler(4, lengths=lengths))
    shuffled = torch.randperm(len(dataset)).tolist()
    assert padding(grouped) < padding(shuffled)
