"""``llamacpp:<file.gguf>``: a GGUF model run by llama-cpp-python (text-only, or with ``-M mmproj=<file>``).

Options (``-M key=value``): ``n_ctx`` (default 4096), ``n_threads`` (default: all cores), ``mmproj`` (a
LLaVA-style vision projector: images go in as data URIs), ``system`` (a system prompt), ``max_new_tokens``
(overrides every request's limit, as for ``hf:`` and ``openai:``).

Greedy decoding (temperature 0). Text-only prompts are rendered with the model's own chat template and
completed as raw text, so that ``token_stats`` teacher-forces exactly the prompt ``generate`` answered.
``token_stats`` reads the full next-token distribution at every answer position (``top_k=None``) and
returns entropies in nats (SPEC 2, eq. 5-7).
"""

from __future__ import annotations

import base64
import hashlib
import os
import time
from pathlib import Path
from typing import Any

import numpy as np

from babelvlm.errors import ConfigError, MissingDependencyError, ModelError
from babelvlm.models.base import ModelAPI
from babelvlm.models.generation_options import max_new_tokens_option
from babelvlm.schema import Output, Request, TokenStats

Message = dict[str, Any]


def _import_llama_cpp() -> Any:
    # ggml's OpenMP workers spin while waiting by default; on a shared or small machine that costs 5-10x
    # (measured here: 0.12 s/token passive vs 2.2 s/token spinning on 2 busy cores). Set before loading.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    try:
        import llama_cpp
    except ImportError as exc:
        raise MissingDependencyError("llama-cpp-python", "demo", "the llamacpp backend") from exc
    return llama_cpp


def file_fingerprint(path: Path) -> str:
    """Name, size and the sha256 of the first and last MiB: identifies a weights file in milliseconds."""
    size = path.stat().st_size
    digest = hashlib.sha256(f"{path.name}:{size}".encode())
    with path.open("rb") as fh:
        digest.update(fh.read(1 << 20))
        fh.seek(max(0, size - (1 << 20)))
        digest.update(fh.read(1 << 20))
    return digest.hexdigest()[:16]


def llamacpp_fingerprint(path: Path, mmproj: Path | None = None, system: str | None = None) -> str:
    """The fingerprint of a llamacpp model, computable without loading it (cache keys of a resumed run)."""
    proj = file_fingerprint(mmproj) if mmproj else "-"
    return f"llamacpp:{file_fingerprint(path)}:{proj}:{system or ''}"


def entropy_and_logprob(logits: np.ndarray[Any, Any], token: int) -> tuple[float, float]:
    """H(p) = -sum_v p_v log p_v in nats and log p_token, with p = softmax(logits) (float64)."""
    z = logits.astype(np.float64)
    z = z - z.max()
    log_norm = float(np.log(np.exp(z).sum()))
    logp = z - log_norm
    return float(-(np.exp(logp) * logp).sum()), float(logp[token])


def _int_option(options: dict[str, str], key: str, default: int) -> int:
    raw = options.get(key)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(
            f"model option {key}={raw} is not an integer (fix: e.g. -M {key}={default})"
        ) from None


class LlamaCppModel(ModelAPI):
    """A GGUF chat model; also the LLM half of the ``ocr+llamacpp`` pipeline."""

    def __init__(self, path: Path, options: dict[str, str] | None = None) -> None:
        options = dict(options or {})
        if not path.is_file():  # before the import: a wrong path is reported even without the extra
            raise ModelError(f"GGUF file not found: {path} (fix: llamacpp:/path/to/model.gguf)")
        llama_cpp = _import_llama_cpp()
        self.path = path
        self.n_ctx = _int_option(options, "n_ctx", 4096)
        self.n_threads = _int_option(options, "n_threads", os.cpu_count() or 1)
        self.system = options.get("system")
        self.max_new_tokens = max_new_tokens_option(options)
        self.mmproj = Path(options["mmproj"]) if options.get("mmproj") else None
        handler = None
        if self.mmproj is not None:
            if not self.mmproj.is_file():
                raise ModelError(
                    f"mmproj file not found: {self.mmproj} (fix: -M mmproj=/path/to/mmproj.gguf)"
                )
            from llama_cpp.llama_chat_format import Llava15ChatHandler

            handler = Llava15ChatHandler(clip_model_path=str(self.mmproj), verbose=False)
        self._llm = llama_cpp.Llama(
            model_path=str(path),
            n_ctx=self.n_ctx,
            n_threads=self.n_threads,
            n_threads_batch=self.n_threads,
            seed=0,
            verbose=False,
            chat_handler=handler,
        )
        self._formatter = self._chat_formatter(llama_cpp)
        self._fingerprint = llamacpp_fingerprint(path, self.mmproj, self.system)
        if self.max_new_tokens is not None:  # the shared generation option (models.generation_options)
            self._fingerprint += f":max_new_tokens={self.max_new_tokens}"

    def _chat_formatter(self, llama_cpp: Any) -> Any:
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        template = self._llm.metadata.get("tokenizer.chat_template")
        if not template:
            raise ModelError(f"{self.path} has no chat template in its metadata (fix: use a chat GGUF)")
        eos = self._llm.detokenize([self._llm.token_eos()], special=True).decode("utf-8", "replace")
        bos_id = self._llm.token_bos()
        bos = self._llm.detokenize([bos_id], special=True).decode("utf-8", "replace") if bos_id >= 0 else ""
        return Jinja2ChatFormatter(template=template, eos_token=eos, bos_token=bos)

    @property
    def fingerprint(self) -> str:
        return self._fingerprint

    def messages(self, prompt: str) -> list[Message]:
        """The chat messages of one text prompt (with the optional system prompt)."""
        out: list[Message] = [{"role": "system", "content": self.system}] if self.system else []
        return [*out, {"role": "user", "content": prompt}]

    def format_prompt(self, messages: list[Message]) -> tuple[str, list[str]]:
        """The chat template applied to ``messages`` (generation prompt added) and its stop strings."""
        response = self._formatter(messages=messages)
        return str(response.prompt), list(response.stop or [])

    def complete(self, messages: list[Message], max_tokens: int, stop: list[str] | None = None) -> str:
        """Greedy answer to text-only ``messages`` (the KV cache reuses any shared prompt prefix); ends at
        the template's end-of-turn or any of ``stop``."""
        prompt, template_stop = self.format_prompt(messages)
        result = self._llm.create_completion(
            prompt=prompt,
            max_tokens=max_tokens,
            temperature=0.0,
            top_k=1,
            stop=template_stop + list(stop or []),
            seed=0,
        )
        return str(result["choices"][0]["text"]).strip()

    def _complete_with_images(self, prompt: str, images: list[bytes], max_tokens: int) -> str:
        content: list[dict[str, Any]] = [
            {
                "type": "image_url",
                "image_url": {"url": "data:image/png;base64," + base64.b64encode(b).decode()},
            }
            for b in images
        ]
        content.append({"type": "text", "text": prompt})
        messages: list[Any] = [*self.messages("")[:-1], {"role": "user", "content": content}]
        result = self._llm.create_chat_completion(messages=messages, max_tokens=max_tokens, temperature=0.0)
        return str(result["choices"][0]["message"]["content"] or "").strip()

    def generate(self, requests: list[Request]) -> list[Output]:
        """Answer each request; images need ``-M mmproj`` (a text-only model records an error)."""
        outputs = []
        for req in requests:
            start = time.perf_counter()
            try:
                if req.images and self.mmproj is None:
                    raise ModelError("this GGUF model is text-only (fix: -M mmproj=<projector.gguf>)")
                limit = self.max_new_tokens or req.max_new_tokens
                if req.images:
                    text = self._complete_with_images(req.prompt, req.images, limit)
                else:
                    text = self.complete(self.messages(req.prompt), limit)
                if not text:
                    raise ModelError("the model returned an empty answer")
                outputs.append(Output(text=text, latency_s=time.perf_counter() - start))
            except Exception as exc:  # a per-request failure is recorded, never raised
                outputs.append(
                    Output(error=f"{type(exc).__name__}: {exc}", latency_s=time.perf_counter() - start)
                )
        return outputs

    def teacher_force(self, messages: list[Message], answer: str) -> TokenStats:
        """Full-distribution entropies (nats) and log-probs of ``answer``'s tokens after ``messages``.

        The prompt is evaluated once (reusing the cached prefix); then each answer token is fed in turn,
        reading the complete next-token logits before it: H_i = H(p(. | prompt, y_<i))."""
        llama_cpp = _import_llama_cpp()
        prompt, _ = self.format_prompt(messages)
        prompt_ids = self._llm.tokenize(prompt.encode("utf-8"), add_bos=True, special=True)
        answer_ids = self._llm.tokenize(answer.encode("utf-8"), add_bos=False, special=False)
        if not answer_ids:
            return TokenStats([], [], top_k=None, error="empty answer: nothing to teacher-force")
        if len(prompt_ids) + len(answer_ids) > self.n_ctx:
            return TokenStats([], [], top_k=None, error=f"prompt + answer exceed n_ctx={self.n_ctx}")
        cached = list(self._llm.input_ids[: self._llm.n_tokens])
        keep = 0
        while keep < min(len(cached), len(prompt_ids) - 1) and cached[keep] == prompt_ids[keep]:
            keep += 1
        self._llm.n_tokens = keep
        self._llm.eval(prompt_ids[keep:])
        n_vocab = self._llm.n_vocab()
        entropies, logprobs = [], []
        for i, token in enumerate(answer_ids):
            ptr = llama_cpp.llama_get_logits_ith(self._llm.ctx, -1)
            logits = np.ctypeslib.as_array(ptr, shape=(n_vocab,))
            h, lp = entropy_and_logprob(logits, token)
            entropies.append(h)
            logprobs.append(lp)
            if i + 1 < len(answer_ids):
                self._llm.eval([token])
        return TokenStats(entropies, logprobs, top_k=None)

    def token_stats(self, requests: list[Request], answers: list[str]) -> list[TokenStats]:
        """Teacher-forced statistics for text-only requests (images need the pipeline or an mmproj)."""
        out = []
        for req, answer in zip(requests, answers, strict=True):
            if req.images:
                out.append(TokenStats([], [], error="llamacpp token_stats takes text-only requests"))
                continue
            try:
                out.append(self.teacher_force(self.messages(req.prompt), answer))
            except Exception as exc:
                out.append(TokenStats([], [], error=f"{type(exc).__name__}: {exc}"))
        return out

    def close(self) -> None:
        """Free the model's memory."""
        llm = getattr(self, "_llm", None)
        if llm is not None:
            llm.close()
            self._llm = None


def create(target: str, options: dict[str, str]) -> ModelAPI:
    """Factory for ``llamacpp:<file.gguf>``."""
    if not target:
        raise ConfigError("llamacpp needs a file (fix: --model llamacpp:/path/to/model.gguf)")
    return LlamaCppModel(Path(target).expanduser(), options)
