"""MultiExpArt (seed 000): explain an artwork's Wikipedia section in ten languages, scored with entity
metrics (SPEC 1), BLEU, ROUGE-L, output length and language fidelity.

Data: the public JSON format of seed 000 Appendix K, one row per (article language, section path,
template): ``text_id, title, en_title, lang, source_lang, target_lang, image_url, en_image_url, template,
prompt, gold, gold_entity[]`` as ``.json`` (a list), ``.jsonl`` or ``.parquet``, or a directory of them.
Optional extension fields ``section``, ``subsection``, ``subsubsection`` (and ``en_section``, ...) name the
section path; without them it is recovered from ``prompt`` by inverting its ``template``.

Settings (one task each): ``multiexpart_align10`` (artworks present in all 10 languages, matched by
``en_title``), ``multiexpart_align5`` (en es fr it ja) and ``multiexpart_full`` (every row). Aligned
settings use the English article's image (``en_image_url``), as the paper does.

Patterns (``-T patterns=en-en,en-L,L-en,L-L``; instruction language -> output language), built from each
native row (``source_lang == target_lang == lang``) of article language L:
``en-en`` (English rows, verbatim prompt), ``L-L`` (verbatim prompt), ``L-en`` (the prompt plus "Answer in
English." written in L) and ``en-L`` (the English template with ``en_title`` and the section path, plus
"Answer in <L>."). Rows whose ``source_lang``/``target_lang`` already differ from ``lang`` are pre-built
patterns and are used verbatim. The reference is always the row's ``gold`` and ``gold_entity`` (the
article in language L). Images are URLs mapped to local files by ``--images DIR`` (see
``babelvlm.tasks.image_cache``); missing images are listed in one error.

Other options: ``-T max_new_tokens=1024`` (the default: the paper's generation limit, Appendix A.1),
``-T semantic=true`` (adds ``semantic_similarity``, needs babelvlm[semantic]), ``-T bertscore_model=DIR``
(adds ``bertscore`` from a local encoder; otherwise reported as skipped: ``tasks.multiexpart_bertscore``).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from babelvlm.errors import ConfigError
from babelvlm.schema import ImageRef, Sample, SampleScore, TaskResult
from babelvlm.tasks.base import LoadOptions, Task, TaskInfo, limit_evenly
from babelvlm.tasks.datafiles import Row, guarded, iter_rows
from babelvlm.tasks.image_cache import ImageCache, MissingImagesError
from babelvlm.tasks.multiexpart_bertscore import bertscore_options, bertscore_scores, describe_bertscore
from babelvlm.tasks.multiexpart_prompts import (
    LEVELS,
    TemplateId,
    parse_template_name,
    recover_slots,
    render,
    template_languages,
    with_answer_language,
)

log = logging.getLogger(__name__)

PATTERNS = ("en-en", "en-L", "L-en", "L-L")
COOCCURRENCE_WINDOWS: tuple[int | str, ...] = (0, 1, 2, "inf")
PAPER_MAX_NEW_TOKENS = 1024
"""MultiExpArt generates at most 1024 new tokens (its Appendix A.1)."""

METRIC_KEYS = (
    "entity_coverage_exact",
    "entity_coverage_partial",
    "entity_f1",
    *(f"entity_cooccurrence_{w}" for w in COOCCURRENCE_WINDOWS),
    "bleu",
    "rouge_l",
    "output_length",
)
PAPER = "MultiExpArt: multilingual artwork explanation"


@dataclass(frozen=True)
class Setting:
    """One of the paper's three settings."""

    task: str
    label: str
    langs: tuple[str, ...]
    aligned: bool


SETTINGS = (
    Setting(
        "multiexpart_align10",
        "alignment-10",
        ("en", "zh", "nl", "fr", "de", "it", "ja", "ru", "es", "sv"),
        True,
    ),
    Setting("multiexpart_align5", "alignment-5", ("en", "es", "fr", "it", "ja"), True),
    Setting("multiexpart_full", "full", ("en", "zh", "nl", "fr", "de", "it", "ja", "ru", "es", "sv"), False),
)


def pattern_of(instruction_lang: str, output_lang: str | None) -> str:
    """The pattern name of an (instruction, output) language pair: en-en, en-L, L-en or L-L."""
    left = "en" if instruction_lang == "en" else "L"
    right = "en" if (output_lang or instruction_lang) == "en" else "L"
    return f"{left}-{right}"


def parse_patterns(text: str | None) -> tuple[str, ...]:
    """``-T patterns=en-en,L-L`` -> the selected patterns (all four by default)."""
    if not text:
        return PATTERNS
    chosen = tuple(p.strip() for p in text.split(",") if p.strip())
    unknown = [p for p in chosen if p not in PATTERNS]
    if unknown or not chosen:
        raise ConfigError(
            f"unknown MultiExpArt pattern(s) {unknown or text!r} (fix: -T patterns=en-en,en-L,L-en,L-L)"
        )
    return chosen


def _flag(options: LoadOptions, key: str) -> bool:
    return options.extra.get(key, "").strip().lower() in ("1", "true", "yes", "on")


class MultiExpArtTask(Task):
    """One MultiExpArt setting; see the module docstring for the data, patterns and options."""

    def __init__(self, setting: Setting) -> None:
        self.setting = setting
        self.info = TaskInfo(
            name=setting.task,
            description=f"MultiExpArt {setting.label}: artwork explanation, instruction x output language",
            paper=PAPER,
            languages=setting.langs,
            formats=("MultiExpArt JSON/JSONL (Appendix K)", "HF parquet", "image cache dir (--images)"),
            metrics=METRIC_KEYS,
            primary_metric="entity_coverage_exact",
            matrix_axes=("lang", "output_lang"),
            generative=True,
            extra={"setting": setting.label, "patterns": ",".join(PATTERNS)},
        )

    # ----------------------------------------------------------------------------------------- load
    def load(self, options: LoadOptions) -> Iterator[Sample]:
        """Samples for every selected pattern of every kept row (see the module docstring)."""
        if options.data is None:
            raise ConfigError(f"{self.name} needs --data (the MultiExpArt JSON/JSONL/parquet file or folder)")
        patterns = parse_patterns(options.extra.get("patterns"))
        langs = [lang for lang in self.setting.langs if options.langs is None or lang in options.langs]
        max_new_tokens = int(options.extra.get("max_new_tokens", str(PAPER_MAX_NEW_TOKENS)))
        cache = ImageCache(options.images)
        kept, missing = self._census(options.data, set(langs), cache)
        if missing and not options.skip_bad_rows:  # only with --images: scoring needs no images
            raise MissingImagesError(sorted(missing), options.images, str(options.data))
        if missing:
            log.warning("%d MultiExpArt images are missing; their rows are skipped", len(missing))
        builder = _RowBuilder(self, patterns, set(langs), kept, cache)
        builder.max_new_tokens, builder.semantic = max_new_tokens, _flag(options, "semantic")
        builder.bertscore = bertscore_options(options.extra)
        samples = guarded(iter_rows(options.data), builder.build, options.skip_bad_rows)
        if options.limit is None:
            yield from samples
        else:
            yield from limit_evenly(samples, options.limit, key="lang")

    def _census(self, data: Path, langs: set[str], cache: ImageCache) -> tuple[set[str], set[str]]:
        """First pass over the light fields: the artworks kept by the setting (by ``en_title``) and the
        image URLs of kept rows that are not in the image cache."""
        by_title: dict[str, set[str]] = defaultdict(set)
        urls: dict[str, str] = {}
        for row in iter_rows(data):
            lang, title = row.fields.get("lang"), row.fields.get("en_title") or row.fields.get("title")
            if isinstance(lang, str) and isinstance(title, str) and lang in langs:
                by_title[title].add(lang)
                url = self._image_url(row)
                if url:
                    urls[f"{row.file}:{row.number}"] = f"{title}\t{url}"
        needed = set(self.setting.langs) & langs if self.setting.aligned else set()
        kept = {t for t, present in by_title.items() if needed <= present}
        dropped = len(by_title) - len(kept)
        if dropped:
            log.info(
                "%s: %d artworks are not in all of %s and are left out", self.name, dropped, sorted(needed)
            )
        missing = set()
        for value in urls.values():
            title, url = value.split("\t", 1)
            if title in kept and cache.root is not None and cache.resolve(url) is None:
                missing.add(url)
        return kept, missing

    def _image_url(self, row: Row) -> str | None:
        fields = row.fields
        value = fields.get("en_image_url") if self.setting.aligned else None
        value = value or fields.get("image_url")
        return value if isinstance(value, str) and value.strip() else None

    # ---------------------------------------------------------------------------------------- score
    def score(self, sample: Sample, prediction: str) -> dict[str, float | None]:
        """Entity coverage / F1 / co-occurrence (n = 0, 1, 2, inf), BLEU and ROUGE-L (0-100) against the
        article's ``gold`` and ``gold_entity`` in the article's language, and the output length in word
        tokens, in one pass of ``metrics.batch.score_explanation`` (None = undefined, excluded)."""
        from babelvlm.metrics.batch import score_explanation

        ref_lang = str(sample.meta.get("article_lang", sample.output_lang or sample.lang))
        entities = list(sample.meta.get("entities", []))
        scores = score_explanation(prediction, sample.references[0], entities, ref_lang)
        if sample.meta.get("semantic"):
            from babelvlm.metrics import defined, get_metric

            similarity = get_metric("semantic_similarity")(prediction, sample.references, lang=ref_lang)
            scores["semantic_similarity"] = defined(similarity)
        scores.update(bertscore_scores(sample, prediction, ref_lang))
        return scores

    # ------------------------------------------------------------------------------------ aggregate
    def aggregate(self, scored: list[SampleScore], n_samples: int) -> TaskResult:
        """The default means and instruction x output matrix, plus per-pattern means and the deltas of
        every cell and pattern against en-en (seed 000 Tables 2-4 layout) in ``extra``."""
        from babelvlm.tasks.aggregate import default_aggregate

        result = default_aggregate(self.info, scored, n_samples)
        patterns = pattern_means(scored)
        base = result.matrix.get("en", {}).get("en") or patterns.get("en-en")
        result.extra["setting"] = self.setting.label
        result.extra["patterns"] = patterns
        result.extra["deltas_vs_en_en"] = (
            {
                row: {col: _delta(cell, base) for col, cell in cols.items()}
                for row, cols in result.matrix.items()
            }
            if base
            else {}
        )
        result.extra["pattern_deltas_vs_en_en"] = (
            {p: _delta(m, base) for p, m in patterns.items()} if base else {}
        )
        if not base:
            result.extra["deltas_note"] = "no en-en samples were scored, so no deltas against en-en"
        describe_bertscore(result, scored)
        return result


class _RowBuilder:
    """Turns one data row into the samples of the selected patterns."""

    def __init__(
        self,
        task: MultiExpArtTask,
        patterns: tuple[str, ...],
        langs: set[str],
        kept: set[str],
        cache: ImageCache,
    ) -> None:
        self.task, self.patterns, self.langs, self.kept, self.cache = task, patterns, langs, kept, cache
        self.max_new_tokens, self.semantic = PAPER_MAX_NEW_TOKENS, False
        self.bertscore: dict[str, Any] | None = None
        self.seen: dict[str, int] = defaultdict(int)
        self.known = set(template_languages())

    def build(self, row: Row) -> list[Sample]:
        lang = row.text("lang") or ""
        if lang not in self.known:
            raise row.error(
                "lang", f"'{lang}' is not a MultiExpArt language", f"use one of {sorted(self.known)}"
            )
        title = row.text("title") or ""
        en_title = row.text("en_title", required=False) or title
        if lang not in self.langs or en_title not in self.kept:
            return []
        template = self._template(row)
        source = row.text("source_lang", required=False) or template.lang
        target = row.text("target_lang", required=False) or lang
        image = self._image(row)
        if (source, target) != (lang, lang):  # a pre-built pattern: verbatim
            plan = [(source, target, row.text("prompt") or "")]
        else:
            plan = self._expand(row, lang, template, title, en_title)
        base = self._base(row, lang, template, title, en_title, image)
        return [self._sample(base, i, o, p) for i, o, p in plan if pattern_of(i, o) in self.patterns]

    def _template(self, row: Row) -> TemplateId:
        name = row.text("template") or ""
        template = parse_template_name(name)
        if template is None:
            raise row.error(
                "template",
                f"'{name}' is not a template name",
                "use <lang>_template<1-4>_<section|subsection|...>",
            )
        return template

    def _expand(
        self, row: Row, lang: str, template: TemplateId, title: str, en_title: str
    ) -> list[tuple[str, str, str]]:
        if lang == "en":
            return (
                [("en", "en", self._native_prompt(row, template, title))] if "en-en" in self.patterns else []
            )
        wanted = [p for p in ("en-L", "L-en", "L-L") if p in self.patterns]
        if not wanted:
            return []
        native = self._native_prompt(row, template, title)
        plan = []
        if "en-L" in wanted:
            slots = self._slots(row, template, native, title)
            en_slots = {k: str(row.fields.get(f"en_{k}") or v) for k, v in slots.items()}
            en_slots["title"] = en_title
            try:
                english = render("en", template.number, template.level, en_slots)
            except KeyError as exc:
                raise row.error(f"en_{exc.args[0]}", "missing for the English template", "add it") from None
            plan.append(("en", lang, with_answer_language(english, "en", lang)))
        if "L-en" in wanted:
            plan.append((lang, "en", with_answer_language(native, lang, "en")))
        if "L-L" in wanted:
            plan.append((lang, lang, native))
        return plan

    def _native_prompt(self, row: Row, template: TemplateId, title: str) -> str:
        prompt = row.text("prompt", required=False)
        if prompt:
            return prompt
        slots = {k: str(row.fields.get(k) or "") for k in LEVELS} | {"title": title}
        try:
            return render(template.lang, template.number, template.level, slots)
        except KeyError as exc:
            raise row.error(
                str(exc.args[0]), "no prompt and no section path to build it", "add 'prompt'"
            ) from None

    def _slots(self, row: Row, template: TemplateId, prompt: str, title: str) -> dict[str, str]:
        explicit = {k: str(row.fields[k]) for k in LEVELS if row.fields.get(k)}
        if explicit:
            return explicit
        recovered = recover_slots(template, prompt, title)
        if recovered is None:
            raise row.error(
                "prompt",
                f"the prompt does not follow template {template.name}, so the en-L instruction cannot "
                "be built",
                "add 'section'/'subsection'/'subsubsection' fields, or drop the en-L pattern",
            )
        recovered.pop("title", None)
        return recovered

    def _image(self, row: Row) -> ImageRef:
        url = self.task._image_url(row)
        if url is None:
            raise row.error("image_url", "no image URL", "add image_url (or en_image_url)")
        source = f"{row.file} row {row.number} image_url {url}"
        if self.cache.root is None:  # no cache: a local path works, a URL fails when its request is built
            return ImageRef(path=url, source=source + " (no --images cache given)")
        path = self.cache.resolve(url)
        if path is None:
            raise row.error("image_url", f"image not in the cache: {url}", "add it to the --images directory")
        return ImageRef(path=str(path), source=source)

    def _base(
        self, row: Row, lang: str, template: TemplateId, title: str, en_title: str, image: ImageRef
    ) -> dict[str, Any]:
        entities = row.fields.get("gold_entity")
        if entities is None:
            entities = []
        if not isinstance(entities, list) or not all(isinstance(e, str) for e in entities):
            raise row.error(
                "gold_entity", f"expected a list of strings, got {entities!r}", 'write ["...", ...]'
            )
        key = f"{lang}:{row.text('text_id')}:{template.name}"
        self.seen[key] += 1
        if self.seen[key] > 1:
            key += f"#{self.seen[key]}"
        meta = {
            "article_lang": lang,
            "text_id": row.text("text_id"),
            "template": template.name,
            "title": title,
            "en_title": en_title,
            "entities": entities,
            "semantic": self.semantic,
            "bertscore": self.bertscore,
        }
        return {"key": key, "gold": row.text("gold"), "image": image, "meta": meta}

    def _sample(self, base: dict[str, Any], instruction: str, output: str, prompt: str) -> Sample:
        meta = dict(base["meta"], pattern=pattern_of(instruction, output))
        return Sample(
            id=f"{base['key']}:{instruction}-{output}",
            task=self.task.name,
            prompt=prompt,
            references=[base["gold"]],
            lang=instruction,
            images=[base["image"]],
            output_lang=output,
            max_new_tokens=self.max_new_tokens,
            meta=meta,
        )


def _delta(cell: dict[str, Any], base: dict[str, Any]) -> dict[str, float]:
    return {
        m: float(cell[m]) - float(base[m])
        for m in cell
        if m in base and isinstance(cell[m], int | float) and isinstance(base[m], int | float) and m != "n"
    }


def pattern_means(scored: list[SampleScore]) -> dict[str, dict[str, float]]:
    """Per pattern (en-en, en-L, L-en, L-L): the mean of every metric over scored samples, and ``n``."""
    values: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    counts: dict[str, int] = defaultdict(int)
    for s in scored:
        if s.failed:
            continue
        pattern = pattern_of(s.lang, s.output_lang)
        counts[pattern] += 1
        for name, value in s.scores.items():
            if value is not None:
                values[pattern][name].append(value)
    return {
        p: {name: sum(v) / len(v) for name, v in values[p].items()} | {"n": float(counts[p])}
        for p in PATTERNS
        if counts.get(p)
    }


TASKS: list[Task] = [MultiExpArtTask(s) for s in SETTINGS]

__all__ = ["PATTERNS", "SETTINGS", "TASKS", "MultiExpArtTask", "parse_patterns", "pattern_of"]
