"""``translate:<translator>+<model>``: the translate-test baseline as a composite backend (Parrot:
Multilingual Visual Instruction Tuning, Table 10 and Appendix D.4).

A request in language L (not English) is answered in three steps: the translator turns the whole prompt
(question, hint, options and instruction) into English; the model answers the English prompt with the
original images; with ``-M back=true`` the translator turns the English answer back into L. A request
already in English goes straight to the model. Run beside a plain run of the same model, it tells whether
a gap is the language or the content.

Both kinds of call go through the run store (``babelvlm.models.aux_cache``: the engine makes its store
active while it sends requests), so a killed run resumes without translating or asking again what was
done. The store belongs to the engine's thread: with ``--concurrency`` above 1 or ``--executor ray`` the
inner calls are sent uncached (the final answers are still stored and never re-sent).

Options: ``back`` (true|false, default false), ``pivot`` (default ``en``), ``translator.<key>`` and
``model.<key>`` (passed to the two backends). A failed translation fails the request, never a guess.
"""

from __future__ import annotations

import json
from dataclasses import replace
from functools import lru_cache
from importlib import resources

from babelvlm.errors import BabelVLMError, ConfigError
from babelvlm.langs import get_language, language_name
from babelvlm.models.aux_cache import CachedAuxModel, load_aux_model
from babelvlm.models.base import ModelAPI
from babelvlm.schema import Output, Request

TRANSLATION_MAX_TOKENS = 1024
"""Room for a translated MCQ prompt (question, hint and options)."""


@lru_cache(maxsize=1)
def _prompts() -> dict[str, str]:
    text = resources.files("babelvlm.models").joinpath("data/translate_test.json").read_text("utf-8")
    data: dict[str, str] = json.loads(text)
    return data


def translation_prompt(text: str, source: str, target: str, kind: str = "to_pivot") -> str:
    """The translator's request: the template ``kind`` (``to_pivot`` or ``back``) filled in."""
    template = _prompts()[kind]
    return template.format(source=language_name(source), target=language_name(target), text=text)


def split_target(target: str) -> tuple[str, str]:
    """``<translator>+<model>`` -> the two model names: the first ``+`` where both sides name a known
    provider (model names may hold ``+`` themselves, e.g. ``ocr+llamacpp:file.gguf``)."""
    from babelvlm.models.registry import parse_model_name

    for i, ch in enumerate(target):
        if ch != "+":
            continue
        left, right = target[:i], target[i + 1 :]
        try:
            parse_model_name(left)
            parse_model_name(right)
        except BabelVLMError:
            continue
        return left, right
    raise ConfigError(
        f"translate:{target} does not name a translator and a model "
        "(fix: translate:<translator>+<model>, e.g. translate:openai:http://host:8000/v1#mt+hf:/models/vlm)"
    )


class TranslateTestModel(ModelAPI):
    """The composite backend (see the module docstring)."""

    batch_size = 64
    max_concurrency = 1
    """One thread: the run store the inner calls go through belongs to the engine's driver thread."""

    def __init__(
        self, translator: ModelAPI, model: ModelAPI, *, back: bool = False, pivot: str = "en"
    ) -> None:
        self.translator = translator if isinstance(translator, CachedAuxModel) else CachedAuxModel(translator)
        self.model = model if isinstance(model, CachedAuxModel) else CachedAuxModel(model)
        self.back, self.pivot = back, pivot
        self.reads_references = self.model.inner.reads_references
        self.name = f"translate:{translator.name}+{model.name}"

    @property
    def fingerprint(self) -> str:
        """Both backends, the direction settings and the prompt version."""
        return (
            f"translate[pivot={self.pivot};back={self.back};v{_prompts()['version']}]:"
            f"{self.translator.fingerprint}+{self.model.fingerprint}"
        )

    def _translate(self, jobs: list[tuple[Request, str, str, str]], kind: str) -> list[str | Output]:
        """Translate ``(request, text, source, target)`` jobs: the text, or the failed Output."""
        calls = [
            replace(
                request,
                key="",
                prompt=translation_prompt(text, source, target, kind),
                images=[],
                lang=target,
                max_new_tokens=TRANSLATION_MAX_TOKENS,
                references=[],
            )
            for request, text, source, target in jobs
        ]
        outputs = _generate_unique(self.translator, calls)
        return [o.text.strip() if o.ok and o.text and o.text.strip() else o for o in outputs]

    def generate(self, requests: list[Request]) -> list[Output]:
        """Translate -> ask -> (translate back); a failed step is that request's failure."""
        outputs: dict[int, Output] = {}
        foreign = [i for i, r in enumerate(requests) if r.lang != self.pivot]
        english = {i: r.prompt for i, r in enumerate(requests) if r.lang == self.pivot}
        jobs = [(requests[i], requests[i].prompt, requests[i].lang, self.pivot) for i in foreign]
        for i, done in zip(foreign, self._translate(jobs, "to_pivot"), strict=True):
            if isinstance(done, str):
                english[i] = done
            else:
                outputs[i] = Output(error=f"translation into {self.pivot} failed: {done.error or 'empty'}")
        asked = [replace(requests[i], prompt=english[i], lang=self.pivot) for i in sorted(english)]
        for i, out in zip(sorted(english), _generate_unique(self.model, asked), strict=True):
            meta = {**out.meta, "translated_prompt": english[i], "pivot_answer": out.text}
            outputs[i] = replace(out, meta=meta)
        if self.back:
            self._back_translate(requests, outputs)
        return [outputs[i] for i in range(len(requests))]

    def _back_translate(self, requests: list[Request], outputs: dict[int, Output]) -> None:
        """Replace each successful non-pivot answer by its translation into the request's language."""
        todo = [i for i, r in enumerate(requests) if r.lang != self.pivot and outputs[i].ok]
        jobs = [(requests[i], str(outputs[i].text), self.pivot, requests[i].lang) for i in todo]
        for i, done in zip(todo, self._translate(jobs, "back"), strict=True):
            if isinstance(done, str):
                outputs[i] = replace(outputs[i], text=done)
            else:
                outputs[i] = Output(error=f"translation back into {requests[i].lang} failed: {done.error}")

    def close(self) -> None:
        self.translator.close()
        self.model.close()


def _generate_unique(model: ModelAPI, requests: list[Request]) -> list[Output]:
    """``model.generate`` with identical calls sent once (two languages often translate to the same
    English prompt; the store keeps one answer per call)."""
    firsts: dict[tuple[object, ...], int] = {}
    unique: list[Request] = []
    where: list[int] = []
    for r in requests:
        same = (r.prompt, tuple(r.images), r.max_new_tokens, r.temperature, tuple(r.references))
        if same not in firsts:
            firsts[same] = len(unique)
            unique.append(r)
        where.append(firsts[same])
    outputs = model.generate(unique) if unique else []
    return [outputs[k] for k in where]


def _flag(value: str, name: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("true", "1", "yes", "on", "false", "0", "no", "off"):
        return lowered in ("true", "1", "yes", "on")
    raise ConfigError(f"translate option {name}={value} is not a boolean (fix: -M {name}=true or false)")


def create(target: str, options: dict[str, str]) -> TranslateTestModel:
    """Factory for ``translate:<translator>+<model>`` with ``-M`` options (see the module docstring)."""
    translator_name, model_name = split_target(target)
    own = {k: v for k, v in options.items() if "." not in k}
    unknown = sorted(set(own) - {"back", "pivot"})
    bad_prefix = sorted(k for k in options if "." in k and k.split(".", 1)[0] not in ("translator", "model"))
    if unknown or bad_prefix:
        raise ConfigError(
            f"unknown translate option(s) {', '.join(unknown + bad_prefix)} "
            "(known: back, pivot, translator.<key>, model.<key>)"
        )
    pivot = own.get("pivot", "en")
    get_language(pivot)

    def sub(prefix: str) -> dict[str, str]:
        return {k.split(".", 1)[1]: v for k, v in options.items() if k.startswith(prefix + ".")}

    translator = load_aux_model(translator_name, sub("translator"))
    model = load_aux_model(model_name, sub("model"))
    return TranslateTestModel(translator, model, back=_flag(own.get("back", "false"), "back"), pivot=pivot)
