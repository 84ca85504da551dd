"""MVCL-MI (eq. 10) and the Parrot MoE (eq. 2-5) against hand computations on fixed small tensors."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch

from babelvlm.models import parrot_moe
from babelvlm.models.parrot_moe import MoeConfig, ParrotMoE
from babelvlm.train.mvcl_mi import mvcl_mi_terms

# Four rows (src_src, tgt_src, src_tgt, tgt_tgt) of one item, 3 positions, vocabulary 3. The src answer
# is token 2 (one token), the tgt answer tokens 1 then 0 (two tokens): labels -100 elsewhere.
LOGITS = [
    [[0.1, 0.2, 0.9], [0.0, 0.0, 0.0], [0.3, -0.2, 0.1]],
    [[0.5, -0.1, 0.4], [0.0, 0.0, 0.0], [0.2, 0.2, 0.2]],
    [[0.3, 0.8, -0.5], [0.7, 0.1, 0.0], [0.0, 0.0, 0.0]],
    [[-0.2, 0.6, 0.1], [0.4, 0.4, -0.3], [0.0, 0.0, 0.0]],
]
LABELS = [[-100, 2, -100], [-100, 2, -100], [-100, 1, 0], [-100, 1, 0]]


def _softmax(row: list[float]) -> list[float]:
    exps = [math.exp(x) for x in row]
    return [e / sum(exps) for e in exps]


def _hand_terms(alpha: float, beta: float) -> dict[str, float]:
    """Eq. 10 with plain Python floats: logits at position t predict the label at t + 1."""
    probs = [[_softmax(pos) for pos in row] for row in LOGITS]
    answers = {0: [(0, 2)], 1: [(0, 2)], 2: [(0, 1), (1, 0)], 3: [(0, 1), (1, 0)]}
    ce = {r: -sum(math.log(probs[r][t][y]) for t, y in answers[r]) / len(answers[r]) for r in range(4)}

    def kl(student: int, teacher: int) -> float:
        total = sum(
            p * math.log(p / q)
            for t, _ in answers[student]
            for p, q in zip(probs[student][t], probs[teacher][t], strict=False)
        )
        return total / len(answers[student])

    terms = {"ce_src_src": ce[0], "ce_tgt_src": ce[1], "ce_src_tgt": ce[2], "ce_tgt_tgt": ce[3]}
    terms |= {"kl_src_tgt": kl(2, 3), "kl_tgt_src": kl(1, 0)}
    terms["total"] = sum(ce.values()) + alpha * terms["kl_src_tgt"] + beta * terms["kl_tgt_src"]
    return terms


def test_mvcl_mi_equals_the_hand_computation() -> None:
    logits = torch.tensor(LOGITS, dtype=torch.float64, requires_grad=True)
    total, terms = mvcl_mi_terms(logits, torch.tensor(LABELS), torch.tensor(1), torch.tensor(2), 0.7, 1.3)
    hand = _hand_terms(0.7, 1.3)
    for name, value in terms.items():
        assert float(value.detach()) == pytest.approx(hand[name], rel=1e-9), name
    assert float(total.detach()) == pytest.approx(hand["total"], rel=1e-9)
    assert hand["kl_src_tgt"] > 0 and hand["kl_tgt_src"] > 0


def test_mvcl_mi_teachers_get_no_gradient_from_the_kl_terms() -> None:
    logits = torch.tensor(LOGITS, dtype=torch.float64, requires_grad=True)
    _, terms = mvcl_mi_terms(logits, torch.tensor(LABELS), torch.tensor(1), torch.tensor(2), 1.0, 1.0)
    (terms["kl_src_tgt"] + terms["kl_tgt_src"]).backward()
    assert logits.grad is not None
    assert torch.all(logits.grad[0] == 0) and torch.all(logits.grad[3] == 0)  # src_src, tgt_tgt: teachers
    assert logits.grad[1].abs().sum() > 0 and logits.grad[2].abs().sum() > 0


def test_mvcl_mi_normalises_by_the_accumulated_answer_tokens() -> None:
    """Two micro-batches normalised by the window's counts sum to the loss of the joined batch."""
    logits = torch.tensor(LOGITS, dtype=torch.float64)
    labels = torch.tensor(LABELS)
    two = torch.cat([logits, logits]).reshape(2, 4, 3, 3).transpose(0, 1).reshape(8, 3, 3)
    two_labels = torch.cat([labels, labels]).reshape(2, 4, 3).transpose(0, 1).reshape(8, 3)
    joined, _ = mvcl_mi_terms(two, two_labels, torch.tensor(2), torch.tensor(4), 1.0, 1.0)
    half, _ = mvcl_mi_terms(logits, labels, torch.tensor(2), torch.tensor(4), 1.0, 1.0)
    assert float(joined) == pytest.approx(2 * float(half), rel=1e-12)
    assert float(joined) == pytest.approx(_hand_terms(1.0, 1.0)["total"], rel=1e-9)


def _hand_moe(moe: ParrotMoE, visual: torch.Tensor, text: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Eq. 2-5 one image and one expert at a time, with explicit loops."""
    c = moe.config
    outputs = []
    for n in range(visual.shape[0]):
        keys = text[n][mask[n]]
        query = visual[n].mean(0)
        attention = torch.softmax(keys @ query / math.sqrt(c.width), dim=0)
        guided = attention @ keys
        probs = torch.softmax(moe.router.weight @ guided + moe.router.bias, dim=0)
        mixed = torch.zeros_like(visual[n])
        h = moe.hidden
        for e in range(c.experts):
            columns = slice(e * h, (e + 1) * h)
            hidden = torch.nn.functional.silu(visual[n] @ moe.w_in[:, columns] + moe.b_in[columns])
            mixed += probs[e] * (hidden @ moe.w_out[columns] + moe.b_out[e])
        outputs.append(
            visual[n] + c.alpha * mixed if c.residual_form == "paper" else mixed + c.alpha * visual[n]
        )
    return torch.stack(outputs)


@pytest.mark.parametrize("form", ["paper", "code"])
def test_moe_equals_eq_2_to_5_by_hand(form: str) -> None:
    torch.manual_seed(0)
    moe = ParrotMoE(MoeConfig(width=8, experts=3, alpha=0.1, residual_form=form, hidden=16)).double()
    visual, text = torch.randn(4, 5, 8, dtype=torch.float64), torch.randn(4, 6, 8, dtype=torch.float64)
    mask = torch.tensor(
        [[1, 1, 1, 0, 0, 0], [1] * 6, [1, 0, 1, 0, 1, 0], [0, 0, 0, 0, 0, 1]], dtype=torch.bool
    )
    assert torch.allclose(moe(visual, text, mask), _hand_moe(moe, visual, text, mask), atol=1e-12)


def test_moe_swiglu_experts_and_routing_sums_to_one() -> None:
    torch.manual_seed(1)
    moe = ParrotMoE(MoeConfig(width=8, experts=6, expert="swiglu"))
    visual, text = torch.randn(2, 3, 8), torch.randn(2, 4, 8)
    probs = moe.routing(visual, text, torch.ones(2, 4, dtype=torch.bool))
    assert probs.shape == (2, 6) and torch.allclose(probs.sum(-1), torch.ones(2))
    assert moe(visual, text, torch.ones(2, 4, dtype=torch.bool)).shape == (2, 3, 8)


def test_hf_loads_a_saved_moe_with_no_flag(tiny_dirs: dict[str, Path], tmp_path: Path) -> None:
    import shutil

    from tiny_models import png

    from babelvlm.models.hf import create
    from babelvlm.schema import Request

    folder = tmp_path / "with_moe"
    shutil.copytree(tiny_dirs["llava"], folder)
    request = Request(
        key="k", task="t", sample_id="s", prompt="What is written on the sign?", images=[png((9, 80, 9))]
    )
    plain = create(str(folder), {}).token_stats([request], [" open"])[0]
    model = create(str(folder), {}).model
    moe = ParrotMoE(
        MoeConfig(
            width=64,
            experts=2,
            alpha=5.0,
            projector="model.multi_modal_projector",
            language_model="model.language_model",
            image_token_id=int(model.config.image_token_id),
        )
    )
    parrot_moe.save(moe, folder)
    loaded = create(str(folder), {})
    assert isinstance(getattr(loaded.model, "parrot_moe", None), ParrotMoE)
    with_moe = loaded.token_stats([request], [" open"])[0]
    assert with_moe.error is None and with_moe.logprobs != pytest.approx(plain.logprobs)


def test_moe_keys_are_the_question_tokens_only() -> None:
    """Inside the LLM's input embeddings: image positions get G_v, every other position is unchanged, and
    the keys/values leave out image, padding and answer (labelled) tokens."""
    torch.manual_seed(2)
    moe = ParrotMoE(MoeConfig(width=4, experts=2, image_token_id=9, pad_token_id=0)).double()
    ids = torch.tensor([[5, 9, 9, 6, 7, 8], [0, 0, 9, 9, 6, 8]])  # row 2 left-padded; 8 is the answer
    labels = torch.where(ids == 8, 8, -100)
    mask = (ids != 0).long()
    embeds = torch.randn(2, 6, 4, dtype=torch.float64)
    context = parrot_moe._Context()
    context.ids, context.tokens_per_image = ids, 2
    context.call = {"input_ids": ids, "attention_mask": mask, "labels": labels}
    out = parrot_moe.apply_to_embeddings(moe, embeds, context)
    keys = torch.tensor([[1, 0, 0, 1, 1, 0], [0, 0, 0, 0, 1, 0]], dtype=torch.bool)
    expected = moe(embeds[ids == 9].reshape(2, 2, 4), embeds, keys)
    assert torch.allclose(out[ids == 9].reshape(2, 2, 4), expected)
    assert torch.equal(out[ids != 9], embeds[ids != 9])
    context.call = {}  # generate: no labels or mask reach the hook; padding is still left out by its id
    keys_generate = torch.tensor([[1, 0, 0, 1, 1, 1], [0, 0, 0, 0, 1, 1]], dtype=torch.bool)
    out = parrot_moe.apply_to_embeddings(moe, embeds, context)
    assert torch.allclose(
        out[ids == 9].reshape(2, 2, 4), moe(embeds[ids == 9].reshape(2, 2, 4), embeds, keys_generate)
    )
