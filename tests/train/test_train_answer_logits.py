"""The CE loss from logits kept only where an answer token is predicted equals the model's own loss over
all logits, value and gradients (the vocabulary projection is most of a small LM's step)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from tiny_models import write_llava_data

from babelvlm.train.collator import Collator, ConversationDataset
from babelvlm.train.data import read_conversations
from babelvlm.train.encode import IGNORE, ChatEncoder
from babelvlm.train.setup import load_model
from babelvlm.train.trainer import answer_nll, predicting_positions


def test_predicting_positions_by_hand() -> None:
    labels = torch.tensor([[IGNORE, IGNORE, 5, 6, IGNORE], [IGNORE, 7, IGNORE, IGNORE, IGNORE]])
    expected = [[False, True, True, False, False], [True, False, False, False, False]]
    assert predicting_positions(labels).tolist() == expected


def test_answer_nll_by_hand() -> None:
    labels = torch.tensor([[IGNORE, 1, IGNORE], [IGNORE, IGNORE, 0]])
    flat = torch.tensor(
        [[0.0, 0.0], [2.0, 0.0]]
    )  # position 0 of row 0 predicts 1; position 1 of row 1 predicts 0
    expected = torch.log(torch.tensor(2.0)) + torch.log1p(torch.exp(torch.tensor(-2.0)))
    assert float(answer_nll(flat, labels)) == pytest.approx(float(expected), rel=1e-6)


@pytest.mark.parametrize("family", ["llava", "idefics3"])
def test_kept_logits_give_the_models_own_loss_and_gradients(
    family: str, tiny_dirs: dict[str, Path], tmp_path: Path
) -> None:
    processor, model = load_model(tiny_dirs[family])
    encoder = ChatEncoder(processor, 2048, nested_images=family == "idefics3")
    dataset = ConversationDataset(read_conversations(str(write_llava_data(tmp_path / "d", 4))), encoder)
    inputs = Collator(encoder.pad_id, family == "idefics3")([dataset[i] for i in range(4)])
    labels = inputs.pop("labels")
    count = (labels[:, 1:] != IGNORE).sum()
    model.train()
    own = model(**inputs, labels=labels, num_items_in_batch=count).loss
    own.backward()
    own_grads = [p.grad.clone() for p in model.parameters() if p.grad is not None]
    model.zero_grad()
    kept = answer_nll(model(**inputs, logits_to_keep=predicting_positions(labels)).logits, labels) / count
    kept.backward()
    grads = [p.grad for p in model.parameters() if p.grad is not None]
    assert float(kept) == pytest.approx(float(own), rel=1e-5)
    assert len(grads) == len(own_grads)
    assert all(torch.allclose(a, b, atol=1e-6, rtol=1e-4) for a, b in zip(grads, own_grads, strict=True))
