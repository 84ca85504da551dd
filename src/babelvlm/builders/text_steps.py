"""Text steps of the web-corpus builder (LLM-jp-3 VILA section 3.1 and appendix A.2): sentence splitting
with bunkai's two rules, harmful/adult text, and the alt-text filters (script, length, placeholders,
screenshot names, whitespace). The per-language tables live in ``builders/data/*.json``.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import Any

import regex
from datatrove.data import Document

from babelvlm.builders.steps import DocumentFilter, Drop, Transform
from babelvlm.errors import ConfigError
from babelvlm.text.sentences import split_sentences

_CLOSING = "」』）)】〕〉》]］｝}”’\"'"
_HAS_CONTENT = regex.compile(r"[\p{L}\p{N}]")
_SPACES = regex.compile(r"\s{2,}")


@lru_cache(maxsize=8)
def load_table(name: str) -> dict[str, Any]:
    """One of the builder data tables (``scripts``, ``alt_text_rules``, ``adult_words``)."""
    text = resources.files("babelvlm.builders").joinpath(f"data/{name}.json").read_text(encoding="utf-8")
    table: dict[str, Any] = json.loads(text)
    table.pop("_comment", None)
    return table


def _row(table: str, lang: str) -> Any:
    rows = load_table(table)
    if lang not in rows:
        raise ConfigError(
            f"no row for language '{lang}' in builders/data/{table}.json "
            f"(fix: use one of {', '.join(sorted(rows))} or add a row)"
        )
    return rows[lang]


def script_class(lang: str) -> str:
    """The regex character class of ``lang``'s script (from ``scripts.json``)."""
    return "[" + "".join(_row("scripts", lang)["ranges"]) + "]"


def bunkai_rules(sentences: list[str]) -> list[str]:
    """Seed 002 section 3.1: a sentence of only symbols (no letters or digits) joins the previous one; a
    closing bracket at the start of a sentence moves to the end of the previous one."""
    out: list[str] = []
    for sentence in sentences:
        moved = len(sentence) - len(sentence.lstrip(_CLOSING))
        if out and moved:
            out[-1] += sentence[:moved]
            sentence = sentence[moved:].strip()
        if not sentence:
            continue
        if out and not _HAS_CONTENT.search(sentence):
            out[-1] += sentence
        else:
            out.append(sentence)
    return out


class SplitSentences(Transform):
    """Split the document text into sentences (the language's splitter + bunkai's rules), kept in
    ``metadata['sentences']`` (``block_starts``: the first sentence of each text block); a document with
    no sentence is dropped."""

    name = "split_sentences"

    def __init__(self, lang: str = "ja") -> None:
        super().__init__()
        self.lang = lang

    def apply(self, doc: Document) -> Document | Drop:
        sentences: list[str] = []
        block_starts: list[int] = []
        for paragraph in doc.text.split("\n"):
            block_starts.append(len(sentences))
            if paragraph.strip():
                sentences.extend(bunkai_rules(split_sentences(paragraph, self.lang)))
        if not sentences:
            return Drop("no sentences")
        doc.metadata.update(sentences=sentences, block_starts=block_starts)
        return doc


class DocumentLanguage(DocumentFilter):
    """Keep documents written in the target language (seed 002 builds on Japanese-filtered Common Crawl
    text; fastText language ID on the first ``sample_chars`` characters)."""

    name = "language"

    def __init__(self, lang: str = "ja", sample_chars: int = 2000) -> None:
        super().__init__()
        self.lang, self.sample_chars = lang, sample_chars

    def check(self, doc: Document) -> str | None:
        from babelvlm.text.langid import detect_language

        found = detect_language(doc.text[: self.sample_chars].replace("\n", " "))
        return None if found == self.lang else f"language {found or 'unknown'}"


class AdultText(DocumentFilter):
    """Drop texts holding a harmful/adult term (seed 002: the llm-jp-corpus harmful-text filter for
    documents, hojichar's DiscardAdultContentJa for alt texts; word list in ``adult_words.json``)."""

    name = "adult_text"

    def __init__(self, lang: str = "ja", extra_words: tuple[str, ...] = ()) -> None:
        super().__init__()
        words = [*load_table("adult_words").get(lang, []), *load_table("adult_words").get("en", [])]
        self.words = tuple(sorted({w.lower() for w in (*words, *extra_words)}))
        self._pattern = regex.compile("|".join(regex.escape(w) for w in self.words)) if self.words else None

    def check(self, doc: Document) -> str | None:
        if self._pattern is not None and self._pattern.search(doc.text.lower()):
            return "adult text"
        return None


class AltScript(DocumentFilter):
    """Keep alt texts holding at least one character of the language's script (seed 002 section 3.1:
    hiragana, katakana or common kanji for Japanese; other languages are rows of ``scripts.json``)."""

    name = "alt_script"

    def __init__(self, lang: str = "ja") -> None:
        super().__init__()
        self.lang = lang
        self._pattern = regex.compile(script_class(lang))

    def check(self, doc: Document) -> str | None:
        return None if self._pattern.search(doc.text) else f"no {self.lang} script"


class AltMinLength(DocumentFilter):
    """Drop alt texts shorter than ``min_chars`` characters (seed 002 section 3.1: too short alt texts)."""

    name = "alt_min_length"

    def __init__(self, min_chars: int = 5) -> None:
        super().__init__()
        self.min_chars = min_chars

    def check(self, doc: Document) -> str | None:
        return None if len(doc.text.strip()) >= self.min_chars else f"shorter than {self.min_chars}"


class AltPlaceholder(DocumentFilter):
    """Drop alt texts that are a CMS placeholder for a missing alt attribute (seed 002 appendix A.2)."""

    name = "alt_placeholder"

    def __init__(self, lang: str = "ja") -> None:
        super().__init__()
        rules = load_table("alt_text_rules").get(lang, {})
        self.prefixes = tuple(_squash(p) for p in rules.get("placeholders", []))

    def check(self, doc: Document) -> str | None:
        return "placeholder" if _squash(doc.text).startswith(self.prefixes) and self.prefixes else None


class AltScreenshotName(DocumentFilter):
    """Drop alt texts that are an automatic file name: a screenshot word followed by no character of the
    language's script, e.g. '写真 2015-01-20 18 12 33' (seed 002 appendix A.2)."""

    name = "alt_screenshot_name"

    def __init__(self, lang: str = "ja") -> None:
        super().__init__()
        words = load_table("alt_text_rules").get(lang, {}).get("screenshot_words", [])
        script = script_class(lang) if lang in load_table("scripts") else r"\p{L}"
        negated = "[^" + script[1:]
        alternatives = "|".join(regex.escape(w) for w in words)
        self._pattern = (
            regex.compile(rf"^\s*(?:{alternatives}){negated}*$", regex.IGNORECASE) if words else None
        )

    def check(self, doc: Document) -> str | None:
        return "screenshot name" if self._pattern is not None and self._pattern.match(doc.text) else None


class NormaliseWhitespace(Transform):
    """Strip leading/trailing whitespace and replace runs of two or more whitespace characters with one
    half-width space (seed 002 section 3.1); a text left empty is dropped."""

    name = "normalise_whitespace"

    def apply(self, doc: Document) -> Document | Drop:
        doc.text = _SPACES.sub(" ", doc.text.strip())
        return doc if doc.text else Drop("empty")


def _squash(text: str) -> str:
    return str(regex.sub(r"\s+", "", text))


class DocumentShape(DocumentFilter):
    """Keep interleaved documents with ``min_images``-``max_images`` images and ``min_sentences``-
    ``max_sentences`` sentences, bounds included (seed 002 section 3.1: 2-5 and 10-100)."""

    name = "document_shape"

    def __init__(
        self, min_images: int = 2, max_images: int = 5, min_sentences: int = 10, max_sentences: int = 100
    ) -> None:
        super().__init__()
        self.images, self.sentences = (min_images, max_images), (min_sentences, max_sentences)

    def check(self, doc: Document) -> str | None:
        n_images, n_sentences = len(doc.media), len(doc.metadata.get("sentences", []))
        if n_images < self.images[0]:
            return f"images<{self.images[0]}"
        if n_images > self.images[1]:
            return f"images>{self.images[1]}"
        if n_sentences < self.sentences[0]:
            return f"sentences<{self.sentences[0]}"
        return f"sentences>{self.sentences[1]}" if n_sentences > self.sentences[1] else None


class TokenLength(DocumentFilter):
    """Drop documents longer than the LLM's ``max_tokens`` (seed 002 section 3.1; llm-jp-3: 4096): text
    tokens by the given tokenizer directory plus ``image_tokens`` per image. Skipped loudly without one."""

    name = "token_length"

    def __init__(self, tokenizer: str | None = None, max_tokens: int = 4096, image_tokens: int = 0) -> None:
        super().__init__()
        self.tokenizer, self.max_tokens, self.image_tokens = tokenizer, max_tokens, image_tokens
        self._loaded: Any = None

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_loaded": None}

    def unavailable(self) -> str | None:
        return None if self.tokenizer else "no tokenizer given (--tokenizer DIR)"

    def check(self, doc: Document) -> str | None:
        if self._loaded is None:
            from transformers import AutoTokenizer

            self._loaded = AutoTokenizer.from_pretrained(self.tokenizer)
        n = len(self._loaded(doc.text)["input_ids"]) + self.image_tokens * len(doc.media)
        return None if n <= self.max_tokens else f"tokens>{self.max_tokens}"
