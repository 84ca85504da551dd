"""Losses over answer tokens: next-token cross-entropy, and MVCL-MI (XT-VQA, eq. 10).

    L = CE(src-src) + CE(tgt-src) + CE(src-tgt) + CE(tgt-tgt)
        + alpha KL(P^{src-tgt} || P^{tgt-tgt}) + beta KL(P^{tgt-src} || P^{src-src})

P^{a-b} is the model's next-token distribution over the answer y_b given the image and the question in
language a. Both distributions of a KL term cover the same answer tokens, so positions align; the second
argument is the teacher and is detached. KL is summed over the vocabulary. Every term is a sum over
answer tokens divided by the number of answer tokens of the whole accumulated (and gathered) batch,
``n_src`` / ``n_tgt``, so gradient accumulation and data parallelism do not change it.
"""

from __future__ import annotations

import torch
from torch.nn import functional

from babelvlm.train.collator import VARIANTS
from babelvlm.train.encode import IGNORE


def answer_positions(labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(mask over the shifted positions that predict an answer token, those tokens), row-major."""
    targets = labels[:, 1:]
    mask = targets != IGNORE
    return mask, targets[mask]


def nll_sum(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Sum of -log p(y_t | y_<t) over the answer tokens (logits at t-1 predict token t)."""
    mask, targets = answer_positions(labels)
    picked = _upcast(logits[:, :-1][mask])
    return functional.cross_entropy(picked, targets, reduction="sum")


def answer_log_probs(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """log P over the vocabulary at each answer position: (answer tokens, vocab), row-major."""
    mask, _ = answer_positions(labels)
    return torch.log_softmax(_upcast(logits[:, :-1][mask]), dim=-1)


def _upcast(values: torch.Tensor) -> torch.Tensor:
    """bf16/fp16 logits in float32 (float64 stays float64)."""
    return values.to(torch.promote_types(values.dtype, torch.float32))


def kl_sum(student: torch.Tensor, teacher: torch.Tensor) -> torch.Tensor:
    """sum_t KL(P_t || Q_t) = sum_t sum_v P_t(v) (log P_t(v) - log Q_t(v)), the teacher Q detached."""
    teacher = teacher.detach()
    return (student.exp() * (student - teacher)).sum()


def answer_counts(labels: torch.Tensor, n_variants: int) -> torch.Tensor:
    """Answer tokens per answer language, [n_src, n_tgt], of one MVCL-MI batch (rows by variant)."""
    chunks = labels.chunk(n_variants)
    return torch.stack([(chunks[0][:, 1:] != IGNORE).sum(), (chunks[3][:, 1:] != IGNORE).sum()])


def mvcl_mi_terms(
    logits: torch.Tensor,
    labels: torch.Tensor,
    n_src: torch.Tensor,
    n_tgt: torch.Tensor,
    alpha: float,
    beta: float,
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """Eq. 10 on a batch whose rows are the four variants in ``VARIANTS`` order (each a block of the
    same items); returns the total and every term by its logged name."""
    rows = dict(zip(VARIANTS, zip(logits.chunk(4), labels.chunk(4), strict=True), strict=True))
    per_answer = {"src": n_src.clamp(min=1), "tgt": n_tgt.clamp(min=1)}
    terms = {f"ce_{v}": nll_sum(*rows[v]) / per_answer[v.split("_")[1]] for v in VARIANTS}
    logp = {v: answer_log_probs(*rows[v]) for v in VARIANTS}
    terms["kl_src_tgt"] = kl_sum(logp["src_tgt"], logp["tgt_tgt"]) / per_answer["tgt"]
    terms["kl_tgt_src"] = kl_sum(logp["tgt_src"], logp["src_src"]) / per_answer["src"]
    total = sum(terms[f"ce_{v}"] for v in VARIANTS) + alpha * terms["kl_src_tgt"] + beta * terms["kl_tgt_src"]
    return torch.as_tensor(total), terms
