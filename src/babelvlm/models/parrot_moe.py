"""The Parrot MoE (Parrot: Multilingual Visual Instruction Tuning, eq. 2-5) on the projected visual tokens.

    H_v' = softmax(q H_t^T / sqrt(C)) H_t      (eq. 2: the visual query attends over the question's text)
    P    = softmax(W H_v' + b)                 (eq. 3: dense routing over E experts)
    MoE(H_v) = sum_i P_i E_i(H_v)              (eq. 4: every expert runs)
    G_v  = H_v + alpha MoE(H_v)                (eq. 5 as printed, ``residual_form: paper``)
    G_v  = MoE(H_v) + alpha H_v                (Parrot's released code, ``residual_form: code``)

The query q is the mean of the visual tokens: the projected tokens of Idefics3 and LLaVA carry no [CLS].
It lives in ``models`` (not ``train``) because ``hf:`` loads it: a model directory holding
``parrot_moe.json`` + ``parrot_moe.safetensors`` gets the MoE attached to its projector on load.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

CONFIG_FILE = "parrot_moe.json"
WEIGHTS_FILE = "parrot_moe.safetensors"
ATTRIBUTE = "parrot_moe"


@dataclass
class MoeConfig:
    """What rebuilds the MoE and where it attaches."""

    width: int
    experts: int = 6
    alpha: float = 0.1
    residual_form: str = "paper"
    expert: str = "mlp"
    hidden: int | None = None
    projector: str = ""
    image_token_id: int = -1
    query: str = "mean of the visual tokens"


class ParrotMoE(nn.Module):
    """E experts (2-layer SiLU MLPs or SwiGLU) mixed by text-guided dense routing, vectorised: the
    experts' first layers are one (C, E*H) matrix, and scaling expert e's hidden units by P_e before
    one (E*H, C) matmul gives sum_e P_e E_e(H_v) (no loop over samples or experts).
    Expert e owns columns ``e*H:(e+1)*H`` of ``w_in``/``w_gate`` and rows ``e*H:(e+1)*H`` of ``w_out``."""

    def __init__(self, config: MoeConfig) -> None:
        super().__init__()
        self.config = config
        width, experts = config.width, config.experts
        self.hidden = config.hidden or config.width
        self.router = nn.Linear(width, experts)
        self.w_in = nn.Parameter(torch.randn(width, experts * self.hidden) / math.sqrt(width))
        self.b_in = nn.Parameter(torch.zeros(experts * self.hidden))
        gate = torch.randn(width, experts * self.hidden) / math.sqrt(width)
        self.w_gate = nn.Parameter(gate) if config.expert == "swiglu" else None
        self.w_out = nn.Parameter(torch.randn(experts * self.hidden, width) / math.sqrt(self.hidden))
        self.b_out = nn.Parameter(torch.zeros(experts, width))

    def routing(self, visual: torch.Tensor, text: torch.Tensor, text_mask: torch.Tensor) -> torch.Tensor:
        """P (N, E): eq. 2-3 for N images of S visual tokens (N, S, C) and their text (N, T, C)."""
        query = visual.mean(dim=1)
        scores = torch.einsum("nc,ntc->nt", query, text) / math.sqrt(visual.shape[-1])
        scores = scores.masked_fill(~text_mask, float("-inf"))
        attention = torch.nan_to_num(torch.softmax(scores, dim=-1))  # an image with no text: H_v' = 0
        guided = torch.einsum("nt,ntc->nc", attention, text)
        return torch.softmax(self.router(guided), dim=-1)

    def mixture(self, visual: torch.Tensor, probs: torch.Tensor) -> torch.Tensor:
        """sum_e P_e E_e(H_v) (eq. 4) for every image: (N, S, C)."""
        hidden = visual @ self.w_in + self.b_in
        if self.w_gate is not None:
            hidden = nn.functional.silu(visual @ self.w_gate) * hidden
        else:
            hidden = nn.functional.silu(hidden)
        weights = probs.repeat_interleave(self.hidden, dim=1).unsqueeze(1)  # (N, 1, E*H)
        return (hidden * weights) @ self.w_out + (probs @ self.b_out).unsqueeze(1)

    def forward(self, visual: torch.Tensor, text: torch.Tensor, text_mask: torch.Tensor) -> torch.Tensor:
        """G_v (N, S, C), eq. 4-5 in the configured residual form."""
        probs = self.routing(visual, text, text_mask)
        mixed = self.mixture(visual, probs)
        if self.config.residual_form == "code":
            return mixed + self.config.alpha * visual
        return visual + self.config.alpha * mixed


class _Context:
    """The current forward's ids/mask/labels, captured by a pre-hook on the whole model, so that the
    projector hook can find each image's question text."""

    def __init__(self) -> None:
        self.inputs: dict[str, Any] = {}


def attach(model: nn.Module, moe: ParrotMoE) -> None:
    """Register ``moe`` as ``model.parrot_moe`` and apply it to the output of the projector module."""
    context = _Context()
    model.add_module(ATTRIBUTE, moe)

    def remember(_module: nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        context.inputs = {k: kwargs.get(k) for k in ("input_ids", "attention_mask", "labels")}
        if context.inputs["input_ids"] is None and args:
            context.inputs["input_ids"] = args[0]

    def mix(_module: nn.Module, _args: tuple[Any, ...], output: torch.Tensor) -> torch.Tensor:
        return apply_to_visual(model, moe, output, context.inputs)

    projector = model.get_submodule(moe.config.projector)
    handles = [
        model.register_forward_pre_hook(remember, with_kwargs=True),
        projector.register_forward_hook(mix),
    ]
    moe._babelvlm_handles = handles  # type: ignore[assignment]


def detach(model: nn.Module) -> ParrotMoE | None:
    """Remove the MoE (hooks and submodule) from ``model``; returns it."""
    moe = getattr(model, ATTRIBUTE, None)
    if not isinstance(moe, ParrotMoE):
        return None
    for handle in getattr(moe, "_babelvlm_handles", []):
        handle.remove()
    delattr(model, ATTRIBUTE)
    return moe


def apply_to_visual(
    model: nn.Module, moe: ParrotMoE, visual: torch.Tensor, inputs: dict[str, Any]
) -> torch.Tensor:
    """Eq. 2-5 on the projected tokens of every image; image i's keys/values are the input embeddings of
    its sample's question tokens (not image, not padding, not answer labels)."""
    ids = inputs.get("input_ids")
    if ids is None or visual.dim() != 3:
        raise RuntimeError(
            "Parrot MoE needs input_ids and projected visual tokens shaped (images, tokens, width)"
        )
    mask = inputs.get("attention_mask")
    text_mask = (ids != moe.config.image_token_id) & (mask.bool() if mask is not None else True)
    labels = inputs.get("labels")
    if labels is not None:
        text_mask &= labels == -100
    images_per_sample = (ids == moe.config.image_token_id).sum(dim=1) // visual.shape[1]
    owner = torch.repeat_interleave(torch.arange(ids.shape[0], device=ids.device), images_per_sample)
    if owner.numel() != visual.shape[0]:
        raise RuntimeError(
            f"Parrot MoE: {visual.shape[0]} images but {owner.numel()} image slots in the text"
        )
    embeddings = model.get_input_embeddings()(ids)  # type: ignore[operator]
    out: torch.Tensor = moe(visual, embeddings[owner].to(visual.dtype), text_mask[owner])
    return out


def save(moe: ParrotMoE, directory: Path) -> None:
    """Write ``parrot_moe.json`` and ``parrot_moe.safetensors`` next to the model's weights."""
    from safetensors.torch import save_file

    state = {k: v.detach().cpu().contiguous() for k, v in moe.state_dict().items()}
    save_file(state, str(directory / WEIGHTS_FILE))
    (directory / CONFIG_FILE).write_text(json.dumps(asdict(moe.config), indent=2) + "\n", encoding="utf-8")


def load_into(model: nn.Module, directory: Path) -> ParrotMoE:
    """Rebuild the saved MoE, load its weights and attach it to ``model`` (its device and dtype)."""
    from safetensors.torch import load_file

    config = MoeConfig(**json.loads((directory / CONFIG_FILE).read_text(encoding="utf-8")))
    moe = ParrotMoE(config)
    moe.load_state_dict(load_file(str(directory / WEIGHTS_FILE)))
    reference = next(model.parameters())
    moe.to(device=reference.device, dtype=reference.dtype)
    attach(model, moe)
    return moe
