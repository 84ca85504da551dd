"""``hf:<dir>``: any local transformers vision-language model directory (processor + chat template).

Loading is offline (``local_files_only``): a directory, or a hub id already in the local cache.
Generation is batched with left padding and greedy by default; ``token_stats`` teacher-forces answers
and reads the full next-token distribution at every answer position (for visual mutual information).

Options (``-M key=value``): ``batch_size`` (8), ``max_new_tokens`` (overrides the request's),
``dtype`` (auto | float32 | bfloat16 | float16), ``device`` (cpu | cuda | cuda:N | mps | auto =
``device_map="auto"`` over all GPUs; default cuda when available), ``trust_remote_code`` (false),
``attn_implementation``.

A directory trained with the Parrot MoE (``babelvlm train parrot_stage2``) holds ``parrot_moe.json`` +
``parrot_moe.safetensors``; the MoE is attached to the projector on load, with no option needed.
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
import io
import logging
import re
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from babelvlm.errors import ConfigError, MissingDependencyError, ModelError
from babelvlm.models.base import ModelAPI
from babelvlm.schema import Output, Request, TokenStats

log = logging.getLogger(__name__)
_KNOWN_OPTIONS = {
    "batch_size",
    "max_new_tokens",
    "dtype",
    "device",
    "trust_remote_code",
    "attn_implementation",
}
_ANSWER_OPTIONS = ("max_new_tokens", "dtype", "trust_remote_code", "attn_implementation")
"""Options that can change answers, hence part of the fingerprint (batch size and device only change
speed, up to floating-point noise)."""
_SMALL_FILES = (
    "config.json",
    "generation_config.json",
    "preprocessor_config.json",
    "processor_config.json",
    "parrot_moe.json",
)
_SAMPLE_BYTES = 1 << 16


def create(target: str, options: dict[str, str]) -> ModelAPI:
    """Load ``hf:<target>`` with its options (factory for ``models.registry``)."""
    unknown = set(options) - _KNOWN_OPTIONS
    if unknown:
        raise ConfigError(
            f"unknown option(s) {sorted(unknown)} for hf:{target} (fix: use {sorted(_KNOWN_OPTIONS)})"
        )
    return HFModel(resolve_model_dir(target), options)


def resolve_model_dir(target: str) -> Path:
    """A local directory, or a hub id already in the local Hugging Face cache (nothing downloads)."""
    if not target:
        raise ConfigError("hf: needs a model directory (fix: --model hf:/path/to/model)")
    path = Path(target).expanduser()
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise ModelError(f"{path} has no config.json (fix: point hf: at a save_pretrained directory)")
        return path
    if path.exists() or not _looks_like_hub_id(target):
        what = "is a file, not a directory" if path.exists() else "does not exist"
        raise ModelError(
            f"hf:{target}: the directory {path.absolute()} {what} (fix: pass the directory of a model "
            "saved with save_pretrained, e.g. hf:/models/Qwen2-VL-2B-Instruct)"
        )
    try:
        from huggingface_hub import snapshot_download

        return Path(snapshot_download(target, local_files_only=True))
    except Exception as exc:  # the hub's own error is long and about downloads; say what was looked for
        log.debug("hub cache lookup of %s failed", target, exc_info=True)
        raise ModelError(
            f"hf:{target}: no directory {path.absolute()} and no model '{target}' in the local Hugging "
            "Face cache (nothing is downloaded) (fix: pass the directory of a model saved with "
            "save_pretrained)"
        ) from exc


def _looks_like_hub_id(target: str) -> bool:
    """``org/name`` (one slash, no path prefix): may be a model in the local Hugging Face cache."""
    return re.fullmatch(r"[\w.-]+/[\w.-]+", target) is not None and not target.startswith(".")


def fingerprint_model_dir(model_dir: Path, options: dict[str, str]) -> str:
    """Hash what decides the answers, cheaply: small config/tokenizer files in full, and for each
    weight file its name, size, safetensors header and three 64 KiB samples (start, middle, end) of
    its bytes, plus the answer-changing options. Copying the directory keeps the fingerprint."""
    digest = hashlib.sha256()
    for path in sorted(model_dir.iterdir()):
        name = path.name
        if not path.is_file():
            continue
        if name in _SMALL_FILES or name.startswith(("tokenizer", "chat_template", "special_tokens")):
            digest.update(name.encode() + b"\0" + path.read_bytes())
        elif name.endswith((".safetensors", ".bin", ".pt", ".gguf")) or name.endswith(".index.json"):
            digest.update(name.encode() + b"\0" + _sample_file(path))
    for key in _ANSWER_OPTIONS:
        if key in options:
            digest.update(f"{key}={options[key]}".encode())
    return "hf:" + digest.hexdigest()[:32]


def _sample_file(path: Path) -> bytes:
    """Size + the safetensors header (when there is one) + three byte samples of a weight file."""
    size = path.stat().st_size
    parts = [str(size).encode()]
    with path.open("rb") as handle:
        head = handle.read(8)
        header_len = int.from_bytes(head, "little") if path.suffix == ".safetensors" and len(head) == 8 else 0
        if 0 < header_len < size:
            parts.append(handle.read(header_len))
        for offset in (0, max(0, size // 2 - _SAMPLE_BYTES // 2), max(0, size - _SAMPLE_BYTES)):
            handle.seek(offset)
            parts.append(handle.read(_SAMPLE_BYTES))
    return hashlib.sha256(b"".join(parts)).digest()


def _int_option(options: dict[str, str], key: str, default: int | None) -> int | None:
    if key not in options:
        return default
    try:
        value = int(options[key])
    except ValueError:
        value = 0
    if value < 1:
        raise ConfigError(f"option {key}={options[key]!r} must be a positive integer (fix: -M {key}=8)")
    return value


class HFModel(ModelAPI):
    """A transformers VLM run in-process: batched greedy generation and teacher-forced statistics."""

    def __init__(self, model_dir: Path, options: dict[str, str]) -> None:
        self.model_dir = model_dir
        self.options = dict(options)
        self.batch_size = _int_option(options, "batch_size", 8) or 8
        self.max_new_tokens = _int_option(options, "max_new_tokens", None)
        self.max_concurrency = 1
        self._fingerprint = fingerprint_model_dir(model_dir, options)
        self._torch, self.processor, self.model = _load(model_dir, options)
        self.device = self.model.device
        self._stop_ids = _stop_ids(self.model)
        self._text_only = not hasattr(self.processor, "image_processor")
        self._batch_feature: Any = importlib.import_module("transformers").BatchFeature
        self._accepts_logits_to_keep = "logits_to_keep" in inspect.signature(self.model.forward).parameters

    @property
    def fingerprint(self) -> str:
        return self._fingerprint

    # ----- generation -------------------------------------------------------------------------
    def generate(self, requests: list[Request]) -> list[Output]:
        """Greedy (or sampled, when ``temperature > 0``) answers, batched ``batch_size`` at a time
        among requests with the same number of images and temperature (sorted by prompt length); a
        failing batch is retried one request at a time so that an error is pinned on its request."""
        outputs: list[Output | None] = [None] * len(requests)
        for group in _groups(requests, lambda r: (len(r.images), r.temperature)):
            group.sort(key=lambda i: len(requests[i].prompt))  # similar lengths pad less
            for start in range(0, len(group), self.batch_size):
                chunk = group[start : start + self.batch_size]
                for index, output in zip(chunk, self._generate_or_split(requests, chunk), strict=True):
                    outputs[index] = output
        return [o if o is not None else Output(error="internal: no output") for o in outputs]

    def _generate_or_split(self, requests: list[Request], chunk: list[int]) -> list[Output]:
        try:
            return self._generate_batch([requests[i] for i in chunk])
        except Exception as exc:
            if len(chunk) == 1:
                return [Output(error=f"hf generate failed: {type(exc).__name__}: {exc}")]
            return [out for i in chunk for out in self._generate_or_split(requests, [i])]

    def _generate_batch(self, batch: list[Request]) -> list[Output]:
        torch = self._torch
        started = time.perf_counter()
        inputs = self._encode([self._prompt_text(r) for r in batch], batch)
        limits = [self.max_new_tokens or r.max_new_tokens for r in batch]
        temperature = batch[0].temperature
        sampling: dict[str, Any] = {"do_sample": False}
        if temperature > 0:
            sampling = {"do_sample": True, "temperature": temperature}
        with torch.inference_mode():
            out = self.model.generate(**inputs, max_new_tokens=max(limits), **sampling)
        new_tokens = out[:, inputs["input_ids"].shape[1] :]
        latency = (time.perf_counter() - started) / len(batch)
        outputs = []
        for row, limit in zip(new_tokens, limits, strict=True):
            ids = row[:limit]
            text = self.processor.decode(ids, skip_special_tokens=True).strip()
            n_tokens = _count_until_stop(ids.tolist(), self._stop_ids)
            meta = {"n_tokens": n_tokens}
            if text:
                outputs.append(Output(text=text, latency_s=latency, meta=meta))
            else:
                error = "model produced an empty answer (only special tokens or end of sequence)"
                outputs.append(Output(error=error, latency_s=latency, meta=meta))
        return outputs

    # ----- teacher forcing -------------------------------------------------------------------
    def token_stats(self, requests: list[Request], answers: list[str]) -> list[TokenStats]:
        """Teacher-force ``answers[i]`` after the chat-templated ``requests[i]`` and return, at every
        answer position t, the entropy H_t = -sum_v p(v) log p(v) (nats) of the full next-token
        distribution p(. | V, Q, y_<t) and log p(y_t | V, Q, y_<t) (``top_k=None``: exact).

        The answer is tokenized on its own (no special tokens) and appended to the generation prompt,
        so a template whose answers start with a space expects answers given with that space."""
        if len(requests) != len(answers):
            raise ConfigError(f"token_stats got {len(requests)} requests but {len(answers)} answers")
        stats: list[TokenStats | None] = [None] * len(requests)
        for group in _groups(requests, lambda r: len(r.images)):
            for start in range(0, len(group), self.batch_size):
                chunk = group[start : start + self.batch_size]
                try:
                    results = self._stats_batch([requests[i] for i in chunk], [answers[i] for i in chunk])
                except Exception as exc:
                    results = [TokenStats([], [], error=f"hf token_stats failed: {exc}") for _ in chunk]
                for index, result in zip(chunk, results, strict=True):
                    stats[index] = result
        return [s if s is not None else TokenStats([], [], error="internal: no stats") for s in stats]

    def _stats_batch(self, batch: list[Request], answers: list[str]) -> list[TokenStats]:
        torch = self._torch
        tokenizer = getattr(self.processor, "tokenizer", self.processor)
        inputs = self._encode([self._prompt_text(r) for r in batch], batch)
        answer_ids = [tokenizer(a, add_special_tokens=False)["input_ids"] for a in answers]
        longest = max((len(ids) for ids in answer_ids), default=0)
        if longest == 0:
            return [TokenStats([], [], error="empty answer: nothing to teacher-force") for _ in answers]
        padded = torch.full((len(batch), longest), self._pad_id(), dtype=inputs["input_ids"].dtype)
        answer_mask = torch.zeros((len(batch), longest), dtype=inputs["attention_mask"].dtype)
        for row, ids in enumerate(answer_ids):
            padded[row, : len(ids)] = torch.tensor(ids)
            answer_mask[row, : len(ids)] = 1
        inputs["input_ids"] = torch.cat([inputs["input_ids"], padded.to(self.device)], dim=1)
        inputs["attention_mask"] = torch.cat([inputs["attention_mask"], answer_mask.to(self.device)], dim=1)
        keep = {"logits_to_keep": longest + 1} if self._accepts_logits_to_keep else {}
        with torch.inference_mode():
            logits = self.model(**inputs, **keep).logits[:, -(longest + 1) : -1]
        logp = torch.log_softmax(logits.float(), dim=-1)
        entropy = -(logp.exp() * logp).sum(-1)
        results = []
        for row, ids in enumerate(answer_ids):
            if not ids:
                results.append(TokenStats([], [], error="empty answer: nothing to teacher-force"))
                continue
            chosen = logp[row, torch.arange(len(ids)), torch.tensor(ids, device=logp.device)]
            results.append(TokenStats(entropy[row, : len(ids)].tolist(), chosen.tolist(), top_k=None))
        return results

    # ----- shared helpers ---------------------------------------------------------------------
    def _prompt_text(self, request: Request) -> str:
        """The chat-templated prompt: image placeholders then the question, as one user turn."""
        if self._text_only:
            if request.images:
                raise ModelError(f"{self.model_dir} has no image processor but the request has images")
            messages: list[dict[str, Any]] = [{"role": "user", "content": request.prompt}]
        else:
            content: list[dict[str, str]] = [{"type": "image"} for _ in request.images]
            content.append({"type": "text", "text": request.prompt})
            messages = [{"role": "user", "content": content}]
        text: str = self.processor.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
        return text

    def _encode(self, texts: list[str], batch: list[Request]) -> Any:
        """Processor inputs (left-padded) on the model's device, floating tensors in the model's
        dtype; the chat template already wrote the special tokens, so none are added again."""
        kwargs: dict[str, Any] = {"text": texts, "padding": True, "return_tensors": "pt"}
        kwargs["add_special_tokens"] = False
        if batch[0].images:
            kwargs["images"] = [_decode_images(r) for r in batch]
        inputs = self.processor(**kwargs)
        if isinstance(inputs, self._batch_feature):
            return inputs.to(self.device, dtype=self.model.dtype)
        return inputs.to(self.device)

    def _pad_id(self) -> int:
        tokenizer = getattr(self.processor, "tokenizer", self.processor)
        pad = tokenizer.pad_token_id
        return int(pad if pad is not None else tokenizer.eos_token_id)

    def close(self) -> None:
        """Drop the weights (and the CUDA cache when on a GPU)."""
        self.model = None
        if self._torch.cuda.is_available():
            self._torch.cuda.empty_cache()


def _groups(requests: Sequence[Request], key: Callable[[Request], object]) -> list[list[int]]:
    """Indices of ``requests`` grouped by ``key`` (first-seen order), so that a batch is uniform."""
    groups: dict[object, list[int]] = {}
    for index, request in enumerate(requests):
        groups.setdefault(key(request), []).append(index)
    return list(groups.values())


def _stop_ids(model: Any) -> set[int]:
    """The end-of-sequence ids of the model's generation config."""
    eos = getattr(getattr(model, "generation_config", None), "eos_token_id", None)
    if eos is None:
        return set()
    return {int(e) for e in eos} if isinstance(eos, list) else {int(eos)}


def _count_until_stop(ids: list[int], stop: set[int]) -> int:
    """Generated tokens up to and including the first end-of-sequence token (padding follows it)."""
    for position, token in enumerate(ids):
        if token in stop:
            return position + 1
    return len(ids)


def _decode_images(request: Request) -> list[Any]:
    """The request's images as RGB ``PIL.Image``s; bytes that already carry their decoded RGB image
    (``decoded_rgb``, e.g. the MI analysis' ``DecodedImageBytes``) are not decoded again."""
    from PIL import Image

    images = []
    for position, data in enumerate(request.images):
        decoded = getattr(data, "decoded_rgb", None)
        if decoded is not None:
            images.append(decoded)
            continue
        try:
            image = Image.open(io.BytesIO(data))
            images.append(image.convert("RGB"))
        except Exception as exc:
            raise ModelError(
                f"request {request.sample_id}: image {position} cannot be decoded ({exc})"
            ) from exc
    return images


def _load(model_dir: Path, options: dict[str, str]) -> tuple[Any, Any, Any]:
    """Import torch + transformers lazily and load processor and model, offline."""
    try:
        import torch
        import transformers
    except ImportError as exc:
        raise MissingDependencyError(exc.name or "transformers", "hf", "the hf: backend") from exc
    from babelvlm.models.efficientnet_tower import register_architectures

    register_architectures()  # BabelVLM's own vision tower (the model organism's), so its directories load
    trust = options.get("trust_remote_code", "false").lower() in {"1", "true", "yes"}
    common: dict[str, Any] = {"local_files_only": True, "trust_remote_code": trust}
    try:
        auto_processor: Any = transformers.AutoProcessor
        processor = auto_processor.from_pretrained(model_dir, **common)
    except Exception as exc:
        raise ModelError(f"cannot load the processor of {model_dir}: {exc}") from exc
    tokenizer = getattr(processor, "tokenizer", processor)
    if not (getattr(processor, "chat_template", None) or getattr(tokenizer, "chat_template", None)):
        raise ModelError(
            f"{model_dir} has no chat template (fix: add a chat_template.jinja or use an instruct model)"
        )
    tokenizer.padding_side = "left"
    if tokenizer.pad_token_id is None and tokenizer.eos_token_id is not None:
        tokenizer.pad_token = tokenizer.eos_token
    model_kwargs = dict(common, dtype=_dtype(torch, options.get("dtype", "auto")))
    if "attn_implementation" in options:
        model_kwargs["attn_implementation"] = options["attn_implementation"]
    device = options.get("device") or ("cuda" if torch.cuda.is_available() else "cpu")
    if device == "auto":  # spread a large model over every GPU (needs accelerate)
        model_kwargs["device_map"] = "auto"
    model = _load_model(transformers, model_dir, model_kwargs)
    if device != "auto":
        try:
            model = model.to(device)
        except Exception as exc:
            raise ConfigError(
                f"cannot move the model to device {device!r}: {exc} (fix: -M device=cpu)"
            ) from exc
    _attach_saved_moe(model, model_dir)
    model.eval()
    return torch, processor, model


def _attach_saved_moe(model: Any, model_dir: Path) -> None:
    """A directory trained with the Parrot MoE (``babelvlm train parrot_stage2``) holds it next to the
    weights; attach it so that ``hf:OUT`` answers with it, no flag needed."""
    from babelvlm.models import parrot_moe

    if (model_dir / parrot_moe.CONFIG_FILE).is_file():
        try:
            parrot_moe.load_into(model, model_dir)
        except Exception as exc:
            raise ModelError(f"cannot load the Parrot MoE saved in {model_dir}: {exc}") from exc


def _load_model(transformers: Any, model_dir: Path, kwargs: dict[str, Any]) -> Any:
    """AutoModelForImageTextToText, else AutoModelForVision2Seq (older transformers), else
    AutoModelForCausalLM (text-only or remote-code models)."""
    errors = []
    for name in ("AutoModelForImageTextToText", "AutoModelForVision2Seq", "AutoModelForCausalLM"):
        auto = getattr(transformers, name, None)
        if auto is None:
            continue
        try:
            return auto.from_pretrained(model_dir, **kwargs)
        except (ValueError, KeyError) as exc:  # this auto class does not know the architecture
            errors.append(f"{name}: {exc}")
        except Exception as exc:  # missing or corrupt weights, out of memory, ...
            raise ModelError(f"cannot load the model in {model_dir}: {type(exc).__name__}: {exc}") from exc
    raise ModelError(f"no transformers auto class loads {model_dir}: {'; '.join(errors)}")


def _dtype(torch: Any, name: str) -> Any:
    table = {"auto": "auto", "float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}
    if name not in table:
        raise ConfigError(f"dtype {name!r} is not one of {sorted(table)} (fix: -M dtype=bfloat16)")
    return table[name]
