"""The Parrot MoE (Parrot: Multilingual Visual Instruction Tuning, eq. 2-5) on the projected visual tokens.

    H_v' = softmax(q H_t^T / sqrt(C)) H_t      (eq. 2: the visual query attends over the question's text)
    P    = softmax(W H_v' + b)                 (eq. 3: dense routing over E experts)
    MoE(H_v) = sum_i P_i E_i(H_v)              (eq. 4: every expert runs)
    G_v  = H_v + alpha MoE(H_v)                (eq. 5 as printed, ``residual_form: paper``)
    G_v  = MoE(H_v) + alpha H_v                (Parrot's released code, ``residual_form: code``)

The query q is the mean of the visual tokens: the projected tokens of Idefics3 and LLaVA carry no [CLS].
The MoE acts where the projected visual tokens enter the language model: a pre-hook on the language
model rewrites the input embeddings at the image-token positions (transformers' ``generate`` projects
images before the model's forward, so hooking the projector's output would miss the question).
It lives in ``models`` (not ``train``) because ``hf:`` loads it: a model directory holding
``parrot_moe.json`` + ``parrot_moe.safetensors`` gets the MoE attached on load.
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
    """The projector module: its output gives the number of visual tokens per image."""
    language_model: str = ""
    """The module that takes ``inputs_embeds`` with the visual tokens merged in."""
    image_token_id: int = -1
    pad_token_id: int = -1
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
    """What the language-model hook needs from the current forward: the token ids (from a hook on the
    embedding layer), the visual tokens per image (from the projector), and the attention mask and
    labels when the whole model was called with them (training; ``generate`` bypasses that hook)."""

    def __init__(self) -> None:
        self.call: dict[str, Any] = {}
        self.ids: torch.Tensor | None = None
        self.tokens_per_image = 0


def attach(model: nn.Module, moe: ParrotMoE) -> None:
    """Register ``moe`` as ``model.parrot_moe`` and apply it to the visual tokens entering the LLM."""
    context = _Context()
    model.add_module(ATTRIBUTE, moe)

    def remember_call(_module: nn.Module, _args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        context.call = {k: kwargs.get(k) for k in ("input_ids", "attention_mask", "labels")}

    def remember_ids(_module: nn.Module, args: tuple[Any, ...], _output: torch.Tensor) -> None:
        context.ids = args[0] if args else None

    def remember_width(_module: nn.Module, _args: tuple[Any, ...], output: torch.Tensor) -> None:
        context.tokens_per_image = int(output.shape[1]) if output.dim() == 3 else 0

    def mix(_module: nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        embeds = kwargs.get("inputs_embeds")
        if embeds is not None and context.ids is not None and context.ids.shape == embeds.shape[:2]:
            kwargs["inputs_embeds"] = apply_to_embeddings(moe, embeds, context)
        return args, kwargs

    embeddings: nn.Module = model.get_input_embeddings()  # type: ignore[operator]
    handles = [
        model.register_forward_pre_hook(remember_call, with_kwargs=True),
        embeddings.register_forward_hook(remember_ids),
        model.get_submodule(moe.config.projector).register_forward_hook(remember_width),
        model.get_submodule(moe.config.language_model).register_forward_pre_hook(mix, with_kwargs=True),
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


def apply_to_embeddings(moe: ParrotMoE, embeds: torch.Tensor, context: _Context) -> torch.Tensor:
    """Eq. 2-5 on every image's visual tokens inside the LLM's input embeddings; image i's keys/values
    are the embeddings of its sample's question tokens (not image, not padding, not answer labels)."""
    ids = context.ids if context.ids is not None else torch.zeros(embeds.shape[:2], dtype=torch.long)
    is_image = ids == moe.config.image_token_id
    if not bool(is_image.any()):
        return embeds  # a decoding step or a text-only batch
    width = context.tokens_per_image
    if width == 0 or int(is_image.sum()) % width:
        raise RuntimeError(
            f"Parrot MoE: the projector gives {width} tokens per image, which does not divide the "
            f"{int(is_image.sum())} image tokens (it needs projected tokens shaped (images, tokens, width))"
        )
    text_mask = ~is_image & (ids != moe.config.pad_token_id)
    if context.call.get("input_ids") is ids:  # the mask and labels belong to this very forward
        mask, labels = context.call.get("attention_mask"), context.call.get("labels")
        if mask is not None:
            text_mask &= mask.bool()
        if labels is not None:
            text_mask &= labels == -100
    images_per_sample = is_image.sum(dim=1) // width
    owner = torch.repeat_interleave(torch.arange(ids.shape[0], device=ids.device), images_per_sample)
    visual = embeds[is_image].reshape(-1, width, embeds.shape[-1])
    mixed = moe(visual, embeds[owner], text_mask[owner])
    return embeds.masked_scatter(is_image.unsqueeze(-1), mixed.to(embeds.dtype))


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
