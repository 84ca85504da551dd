"""Teacher-forced answer statistics from an OpenAI-compatible server, as a flagged top-k approximation.

The OpenAI chat API cannot score a given answer; vLLM's chat extensions can. Two calls per answer:

1. ``messages=[user]``, ``add_generation_prompt=true``, ``return_token_ids=true`` -> the prompt's
   token ids P (images expanded as the server does it);
2. ``messages=[user, assistant=answer]``, ``add_generation_prompt=false``,
   ``continue_final_message=true``, ``prompt_logprobs=k``, ``return_token_ids=true`` -> token ids F of
   prompt + answer and, at every position i, the top-k log-probs of p(. | F_<i) plus the log-prob
   of F_i itself.

The answer tokens are F[j:] with j the length of the common prefix of P and F. At each of them:

- ``logprobs[t]`` = log p(F_i | F_<i): **exact** (the server always returns the actual token);
- ``entropies[t]`` = -sum over the returned tokens of p log p: a **lower bound** of the full entropy
  (every omitted term -p log p is >= 0), tight when the top-k tokens hold nearly all the mass.

``TokenStats.top_k`` = k flags the approximation. Servers without these extensions (hosted APIs,
llama.cpp server) give ``TokenStats(error=...)`` saying that they cannot teacher-force.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from babelvlm.models.openai_retry import RequestFailed, call_with_retries
from babelvlm.schema import Request, TokenStats

if TYPE_CHECKING:
    from babelvlm.models.openai_api import OpenAIModel

NO_TEACHER_FORCING = (
    "the server at {url} cannot teacher-force answers: {why} (needs vLLM's chat extensions "
    "prompt_logprobs + return_token_ids; use an hf: model for exact statistics)"
)


def _token_ids(data: Any) -> list[int]:
    ids = data.get("prompt_token_ids") if isinstance(data, dict) else None
    if not isinstance(ids, list) or not ids:
        raise LookupError("its response has no prompt_token_ids")
    return [int(i) for i in ids]


def _parse_prefix(data: Any) -> Any:
    if not isinstance(data, dict) or "choices" not in data:
        raise ValueError("not a chat-completions response")
    return data


def _body(model: OpenAIModel, request: Request, answer: str | None) -> dict[str, Any]:
    body = model.chat_body(request)
    body.update({model.max_tokens_param: 1, "temperature": 0.0, "return_token_ids": True})
    if answer is None:
        body["add_generation_prompt"] = True
    else:
        body["messages"] = [*body["messages"], {"role": "assistant", "content": answer}]
        body.update(
            {
                "add_generation_prompt": False,
                "continue_final_message": True,
                "prompt_logprobs": model.top_logprobs,
            }
        )
    return body


def stats_from_prompt_logprobs(
    prefix_ids: list[int], full_ids: list[int], prompt_logprobs: list[Any], top_k: int
) -> TokenStats:
    """Per answer token: exact log-prob and the top-k lower bound of the entropy (see module doc)."""
    start = 0
    while start < min(len(prefix_ids), len(full_ids)) and prefix_ids[start] == full_ids[start]:
        start += 1
    if start >= len(full_ids):
        return TokenStats([], [], top_k=top_k, error="the answer adds no tokens to the prompt")
    if len(prompt_logprobs) != len(full_ids):
        why = f"{len(prompt_logprobs)} prompt_logprobs for {len(full_ids)} prompt tokens"
        return TokenStats([], [], top_k=top_k, error=f"server response inconsistent: {why}")
    entropies, logprobs = [], []
    for position in range(start, len(full_ids)):
        entry = prompt_logprobs[position]
        if not isinstance(entry, dict) or str(full_ids[position]) not in entry:
            error = f"prompt_logprobs[{position}] lacks the actual token {full_ids[position]}"
            return TokenStats([], [], top_k=top_k, error=error)
        values = [float(v["logprob"]) if isinstance(v, dict) else float(v) for v in entry.values()]
        actual = entry[str(full_ids[position])]
        logprobs.append(float(actual["logprob"]) if isinstance(actual, dict) else float(actual))
        entropies.append(-sum(math.exp(lp) * lp for lp in values if lp > -1e4))
    return TokenStats(entropies, logprobs, top_k=top_k)


async def answer_token_stats(client: Any, model: OpenAIModel, request: Request, answer: str) -> TokenStats:
    """The two calls of the module doc for one (request, answer); failures become ``error``."""
    url = f"{model.base_url}/chat/completions"
    k = model.top_logprobs
    if not answer:
        return TokenStats([], [], top_k=k, error="empty answer: nothing to teacher-force")
    try:
        prefix, _ = await call_with_retries(
            client, url, _body(model, request, None), model.policy, _parse_prefix, model.breaker
        )
        full, _ = await call_with_retries(
            client, url, _body(model, request, answer), model.policy, _parse_prefix, model.breaker
        )
        prefix_ids, full_ids = _token_ids(prefix), _token_ids(full)
        prompt_logprobs = full.get("prompt_logprobs")
        if not isinstance(prompt_logprobs, list):
            raise LookupError("its response has no prompt_logprobs")
    except RequestFailed as exc:
        why = str(exc)
        if "not retried" in why:
            return TokenStats([], [], top_k=k, error=NO_TEACHER_FORCING.format(url=url, why=why))
        return TokenStats([], [], top_k=k, error=f"token_stats request failed: {why}")
    except LookupError as exc:
        return TokenStats([], [], top_k=k, error=NO_TEACHER_FORCING.format(url=url, why=exc))
    return stats_from_prompt_logprobs(prefix_ids, full_ids, prompt_logprobs, k)
