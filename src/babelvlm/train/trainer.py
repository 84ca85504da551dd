"""``RecipeTrainer``: transformers' Trainer with the recipe's loss (CE or MVCL-MI, eq. 10), loss terms and
throughput in the logs, length-grouped batching, and ``train_log.jsonl`` written as it goes."""

from __future__ import annotations

import inspect
import json
import time
from pathlib import Path
from typing import Any

import torch
from transformers import Trainer, TrainerCallback
from transformers.trainer_pt_utils import LengthGroupedSampler

from babelvlm.models import parrot_moe
from babelvlm.train.encode import IGNORE
from babelvlm.train.mvcl_mi import answer_counts, mvcl_mi_terms, nll_sum
from babelvlm.train.recipe import Recipe

LOG_FILE = "train_log.jsonl"


class RecipeTrainer(Trainer):
    """Trainer whose loss is a sum over answer tokens divided by the answer tokens of the whole
    accumulated and gathered batch, so accumulation and data parallelism leave it unchanged."""

    def __init__(self, *args: Any, recipe: Recipe, lengths: list[int] | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.recipe = recipe
        self.lengths = lengths
        self.loss_is_scaled_for_ga = True
        self.forward_takes_counts = _forward_takes_counts(self.model)
        # the MoE's hooks read the labels of the call, so an MoE run keeps the model's own loss
        self.answer_logits_only = _forward_takes(self.model, "logits_to_keep") and not _has_moe(self.model)
        self._terms: dict[str, float] = {}
        self._tokens = 0
        self._since = (time.perf_counter(), 0)

    def _save(self, output_dir: str | None = None, state_dict: Any = None) -> None:
        """Also write the Parrot MoE into a LoRA run's checkpoints (peft saves only the adapters)."""
        super()._save(output_dir, state_dict)
        moe = _peft_moe(self.model)
        if moe is not None and self.args.should_save:
            parrot_moe.save(moe, Path(output_dir or str(self.args.output_dir)))

    def _load_from_checkpoint(self, resume_from_checkpoint: str, model: Any = None) -> None:
        """Restore a LoRA run's Parrot MoE next to its adapters."""
        super()._load_from_checkpoint(resume_from_checkpoint, model)
        moe = _peft_moe(model or self.model)
        weights = Path(resume_from_checkpoint) / parrot_moe.WEIGHTS_FILE
        if moe is not None and weights.is_file():
            from safetensors.torch import load_file

            moe.load_state_dict(load_file(str(weights)))

    def _get_train_sampler(self, train_dataset: Any = None) -> Any:
        """Length-grouped batches (similar lengths pad less), else the Trainer's random sampler."""
        if self.recipe.group_by_length and self.lengths:
            size = self.args.train_batch_size * self.args.gradient_accumulation_steps
            return LengthGroupedSampler(size, lengths=self.lengths)
        return super()._get_train_sampler(train_dataset)

    def _get_num_items_in_batch(self, batch_samples: list[Any], device: torch.device) -> Any:
        """Answer tokens of the accumulated batch summed over processes: a scalar for CE, [n_src, n_tgt]
        for MVCL-MI."""
        if self.recipe.loss == "mvcl_mi":
            counts = sum(answer_counts(b["labels"], b["n_variants"]) for b in batch_samples)
        else:
            counts = sum((b["labels"][:, 1:] != -100).sum() for b in batch_samples)
        counts = torch.as_tensor(counts).to(device)
        if self.args.world_size > 1:
            counts = self.accelerator.reduce(counts, reduction="sum")
        return counts

    def compute_loss(
        self, model: Any, inputs: dict[str, Any], return_outputs: bool = False, num_items_in_batch: Any = None
    ) -> Any:
        """CE (the model's own loss, normalised by ``num_items_in_batch``) or eq. 10; multiplied by the
        process count because DDP averages the gradients of per-process sums."""
        labels = inputs.pop("labels")
        n_variants = inputs.pop("n_variants", 1)
        self._tokens += int(inputs["attention_mask"].sum())
        counts = num_items_in_batch
        if counts is None:
            counts = self._get_num_items_in_batch(
                [{"labels": labels, "n_variants": n_variants}], labels.device
            )
        if self.recipe.loss == "mvcl_mi":
            outputs = model(**inputs, labels=labels)
            settings = self.recipe.mvcl_mi
            loss, terms = mvcl_mi_terms(
                outputs.logits, labels, counts[0], counts[1], settings.alpha, settings.beta
            )
            for name, value in terms.items():
                self._terms[name] = self._terms.get(name, 0.0) + float(value.detach())
        elif self.answer_logits_only:  # the vocabulary projection only where an answer token is predicted
            outputs = model(**inputs, logits_to_keep=predicting_positions(labels))
            loss = answer_nll(outputs.logits, labels) / counts.clamp(min=1)
        elif self.forward_takes_counts:  # transformers models: their own loss, normalised by the counts
            outputs = model(**inputs, labels=labels, num_items_in_batch=counts)
            loss = outputs.loss
        else:  # a custom model without loss kwargs: the same CE from its logits
            outputs = model(**inputs)
            loss = nll_sum(outputs.logits, labels) / counts.clamp(min=1)
        if self.args.world_size > 1:
            loss = loss * self.args.world_size
        return (loss, outputs) if return_outputs else loss

    def log(self, logs: dict[str, float], start_time: float | None = None) -> None:
        """Add each loss term (mean per optimizer step, summed over processes) and tokens/s."""
        if "loss" in logs:
            started, step = self._since
            steps = max(1, self.state.global_step - step)
            names = sorted(self._terms)
            values = torch.tensor(
                [self._terms[n] for n in names] + [float(self._tokens)], dtype=torch.float64
            )
            if self.args.world_size > 1:
                values = self.accelerator.reduce(values.to(self.args.device), reduction="sum").cpu()
            for name, value in zip(names, values[:-1].tolist(), strict=True):
                logs[name] = value / steps
            logs["tokens_per_s"] = float(values[-1]) / max(time.perf_counter() - started, 1e-9)
            self._terms, self._tokens = {}, 0
            self._since = (time.perf_counter(), self.state.global_step)
        super().log(logs, start_time)


def _peft_moe(model: Any) -> parrot_moe.ParrotMoE | None:
    """The MoE attached under a peft wrapper (None without peft or without an MoE: a plain model's
    checkpoints hold the MoE as a submodule already)."""
    inner = getattr(getattr(model, "base_model", None), "model", None)
    if inner is None or not hasattr(model, "peft_config"):
        return None
    moe = getattr(inner, parrot_moe.ATTRIBUTE, None)
    return moe if isinstance(moe, parrot_moe.ParrotMoE) else None


def _has_moe(model: Any) -> bool:
    return _peft_moe(model) is not None or isinstance(
        getattr(model, parrot_moe.ATTRIBUTE, None), parrot_moe.ParrotMoE
    )


def _forward_parameters(model: Any) -> Any:
    """The parameters of the (base, under peft) model's forward."""
    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    return inspect.signature(base.forward).parameters


def _forward_takes(model: Any, name: str) -> bool:
    """Whether the (base) model's forward names the parameter ``name``."""
    return name in _forward_parameters(model)


def predicting_positions(labels: torch.Tensor) -> torch.Tensor:
    """(batch, length) bool: position t predicts an answer token (``labels[:, t + 1]`` is not ignored)."""
    keep = torch.zeros_like(labels, dtype=torch.bool)
    keep[:, :-1] = labels[:, 1:] != IGNORE
    return keep


def answer_nll(flat_logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Sum of -log p over the answer tokens from logits kept at ``predicting_positions`` (row-major,
    flattened to (answer tokens, vocabulary) as transformers' boolean ``logits_to_keep`` returns them)."""
    targets = labels[:, 1:][labels[:, 1:] != IGNORE]
    logits = flat_logits.reshape(-1, flat_logits.shape[-1])
    return torch.nn.functional.cross_entropy(logits.float(), targets, reduction="sum")


def _forward_takes_counts(model: Any) -> bool:
    """Whether the (base) model's forward accepts ``num_items_in_batch`` (transformers models do)."""
    params = _forward_parameters(model)
    return "num_items_in_batch" in params or any(p.kind == p.VAR_KEYWORD for p in params.values())


class JsonlLog(TrainerCallback):
    """One JSON line per logged step (``step``, ``loss``, ``lr``, ``grad_norm``, ``tokens_per_s`` and
    every loss term), appended as training goes (main process only); end-of-run totals are left to the
    summary."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def on_log(
        self, args: Any, state: Any, control: Any, logs: dict[str, Any] | None = None, **kwargs: Any
    ) -> None:
        if not state.is_world_process_zero or not logs or "loss" not in logs:
            return
        row: dict[str, Any] = {
            "step": state.global_step,
            "loss": logs["loss"],
            "lr": logs.get("learning_rate"),
        }
        row.update({k: v for k, v in logs.items() if k not in ("loss", "learning_rate")})
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(row) + "\n")


def truncate_log(path: Path, last_step: int) -> None:
    """Drop lines after ``last_step`` (written by a killed run past its last checkpoint)."""
    if not path.is_file():
        return
    keep = [
        line
        for line in path.read_text(encoding="utf-8").splitlines()
        if json.loads(line)["step"] <= last_step
    ]
    path.write_text("".join(line + "\n" for line in keep), encoding="utf-8")
