"""``babelvlm translate``: a benchmark in its public format -> the same benchmark in other languages, with
back-translation checks (seed 001 eq. 1, Multi-PixMo's translated suite; SPEC 8, 11).

Every distinct source text is translated once per language by the translator model, then back-translated;
both calls go through the run store (``OUT/store.sqlite``: a re-run sends only what is missing or failed).
Each translation is scored and flagged (``translation_checks``). An item with a failed translation in any
language is left out of every language (so the languages keep the same ids; for MMBench its whole
circular group) and counted. Out, per language: the file in the source's own format, ``provenance_<lang>
.jsonl`` (model, prompt version, scores, flags per text) and ``review_<lang>.csv``; plus ``stats.json``.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from babelvlm.atomic import write_lines_atomic, write_text_atomic
from babelvlm.builders.backtranslation import TokenEncoder, load_encoder, theta_scores
from babelvlm.builders.generation import Ask, StoredModel
from babelvlm.builders.review_csv import write_review
from babelvlm.builders.translate_formats import BenchmarkFile, TsvFile, Unit, XtvqaFile
from babelvlm.builders.translate_multiexpart import MultiExpArtFile
from babelvlm.builders.translation_checks import CheckedText, chrf, flag
from babelvlm.builders.translation_prompt import prompt_version, translation_prompt
from babelvlm.errors import ConfigError
from babelvlm.langs import get_language


@dataclass
class TranslateConfig:
    """Settings of one ``babelvlm translate`` run."""

    task: str
    data: Path
    to: list[str]
    translator: str
    out: Path
    translator_options: dict[str, str] = field(default_factory=dict)
    source_lang: str | None = None
    encoder: str = "smollm2"
    theta_threshold: float = 0.8
    chrf_threshold: float = 30.0
    review_all: bool = False
    max_new_tokens: int = 512


def open_benchmark(task: str, data: Path, source_lang: str | None) -> BenchmarkFile:
    """The benchmark file reader/writer for a task name."""
    if not data.is_file():
        raise ConfigError(f"--data {data} is not a file (fix: give one TSV, JSONL or JSON file)")
    if task == "xtvqa":
        return XtvqaFile(data, source_lang)
    if task.startswith("multiexpart"):
        return MultiExpArtFile(data, source_lang)
    if task in ("mmbench", "mmmb") or task.startswith("pixmo"):
        return TsvFile(data, source_lang)
    raise ConfigError(
        f"translate does not know task '{task}' (fix: mmbench, mmmb, pixmo_*, xtvqa, multiexpart_*)"
    )


def _translate_all(
    model: StoredModel, texts: list[str], pairs: list[tuple[str, str]], step: str, limit: int
) -> dict[tuple[str, str, str], str | None]:
    """(text, from, to) -> translation (None = failed) for every text and language pair, in one call."""
    jobs = [(text, src, tgt) for src, tgt in pairs for text in texts]
    asks = [
        Ask(step, f"{src}->{tgt}", translation_prompt(t, src, tgt), max_new_tokens=limit)
        for t, src, tgt in jobs
    ]
    outputs = model.ask(asks)
    return {job: (o.text.strip() if o.ok and o.text else None) for job, o in zip(jobs, outputs, strict=True)}


def _drop_set(fmt: BenchmarkFile, units: list[Unit], failed: set[str]) -> set[str]:
    if not isinstance(fmt, TsvFile) or not failed:
        return failed
    from babelvlm.tasks.mmbench import group_of

    groups = {group_of(item) for item in failed}
    return {u.item for u in units if group_of(u.item) in groups}


def run_translate(config: TranslateConfig) -> dict[str, Any]:
    """Translate, check and write (see the module docstring); returns the stats written to stats.json."""
    for code in config.to:
        get_language(code)
    fmt = open_benchmark(config.task, config.data, config.source_lang)
    src = fmt.source_lang
    units = list(fmt.units())
    texts = sorted({u.text for u in units})
    out = Path(config.out)
    out.mkdir(parents=True, exist_ok=True)
    with StoredModel(config.translator, config.translator_options, out / "store.sqlite") as model:
        forward = _translate_all(
            model, texts, [(src, t) for t in config.to], "translate", config.max_new_tokens
        )
        done = sorted({(tr, t) for (_, _, t), tr in forward.items() if tr is not None})
        backs = _back_translate(model, done, src, config.max_new_tokens)
    failed = {u.item for u in units for t in config.to if forward[(u.text, src, t)] is None}
    drop = _drop_set(fmt, units, failed)
    encoder = load_encoder(config.encoder)
    stats: dict[str, Any] = {"source": str(config.data), "source_lang": src, "units": len(units),
                             "texts": len(texts), "steps": _steps(units, forward, backs, drop),
                             "languages": {}}  # fmt: skip
    for lang in config.to:
        checked = _check_language(config, units, forward, backs, src, lang, drop, encoder)
        translations = {(c.item, c.field): c.translation for c in checked}
        path = fmt.write(lang, translations, out, drop)
        stats["languages"][lang] = _write_language(config, out, lang, checked, path, drop)
    write_text_atomic(out / "stats.json", json.dumps(stats, indent=2, ensure_ascii=False) + "\n")
    return stats


def _row(name: str, unit: str, total: int, kept: int, reason: str) -> dict[str, Any]:
    dropped = {reason: total - kept} if total > kept else {}
    return {"name": name, "unit": unit, "in": total, "kept": kept, "dropped": dropped}


def _steps(
    units: list[Unit],
    forward: dict[tuple[str, str, str], str | None],
    backs: dict[tuple[str, str], str | None],
    drop: set[str],
) -> list[dict[str, Any]]:
    """The ``stats.json`` rows of the builders' shape (per step: in, kept, dropped by reason)."""
    items = {u.item for u in units}
    return [
        _row("translate", "texts", len(forward), sum(v is not None for v in forward.values()),
             "translation failed"),
        _row("back_translate", "translations", len(backs), sum(v is not None for v in backs.values()),
             "back-translation failed (kept, flagged for review)"),
        _row("write", "items", len(items), len(items - drop),
             "a translation failed (the item, or its circular group, is left out of every language)"),
    ]  # fmt: skip


def _back_translate(
    model: StoredModel, done: list[tuple[str, str]], src: str, limit: int
) -> dict[tuple[str, str], str | None]:
    jobs = [(text, lang) for text, lang in done]
    asks = [Ask("back-translate", f"{lang}->{src}", translation_prompt(t, lang, src), max_new_tokens=limit)
            for t, lang in jobs]  # fmt: skip
    outputs = model.ask(asks)
    return {job: (o.text.strip() if o.ok and o.text else None) for job, o in zip(jobs, outputs, strict=True)}


def _check_language(
    config: TranslateConfig,
    units: list[Unit],
    forward: dict[tuple[str, str, str], str | None],
    backs: dict[tuple[str, str], str | None],
    src: str,
    lang: str,
    drop: set[str],
    encoder: TokenEncoder,
) -> list[CheckedText]:
    checked = []
    for u in units:
        translation = forward[(u.text, src, lang)]
        if u.item in drop or translation is None:
            continue
        checked.append(CheckedText(u.item, u.field, u.text, translation, backs.get((translation, lang))))
    scored = [c for c in checked if c.back_translation is not None]
    thetas = theta_scores(encoder, [c.source for c in scored], [c.back_translation or "" for c in scored])
    for c, value in zip(scored, thetas, strict=True):
        c.theta, c.chrf = value, chrf(c.back_translation or "", c.source)
    return [flag(c, src, lang, config.theta_threshold, config.chrf_threshold) for c in checked]


def _write_language(
    config: TranslateConfig, out: Path, lang: str, checked: list[CheckedText], path: Path, drop: set[str]
) -> dict[str, Any]:
    provenance = {"model": config.translator, "prompt_version": prompt_version(), "encoder": config.encoder}
    lines = (
        json.dumps({**asdict(c), **provenance, "flagged": bool(c.flags)}, ensure_ascii=False) for c in checked
    )
    write_lines_atomic(out / f"provenance_{lang}.jsonl", lines)
    distinct = {c.source: c for c in reversed(checked)}  # one review row per distinct text (its first item)
    review = [c for c in checked if distinct[c.source] is c and (c.flags or config.review_all)]
    write_review(out / f"review_{lang}.csv", lang, review)
    reasons = Counter(
        f.split(":")[0].split(" ")[0] if f[0].isalpha() else f for c in checked for f in c.flags
    )
    thetas = [c.theta for c in checked if c.theta is not None]
    return {
        "file": path.name,
        "texts": len(checked),
        "flagged": sum(1 for c in checked if c.flags),
        "flagged_texts": len({c.source for c in checked if c.flags}),
        "flags": dict(sorted(reasons.items())),
        "mean_theta": sum(thetas) / len(thetas) if thetas else None,
        "review_rows": len(review),
    }
