"""Instruction data of LLM-jp-3 VILA (section 3.2, Table 6) in any language, as LLaVA conversation JSONL.

Input rows (JSONL, ``image`` relative to the file):
- ``captions`` (+ ``boxes``: ``{"label", "bbox": [x1, y1, x2, y2]}``): an LLM writes LLaVA-Instruct's three
  types from them (conversation, detailed description, complex reasoning), in the target language;
- ``qa`` (``[{"question", "answer"}]``): short-answer VQA turned into one multi-turn conversation, the
  first question asking for "a phrase or short sentence" (no generation);
- only ``image``: a VLM writes a multi-turn QA about the image with the Table 6 prompt.
Every generation goes through the engine's run store (``OUT/store.sqlite``): a re-run sends only what is
missing or failed, failures are recorded and counted, never written as data. ``OUT/stats.json`` has the
builders' shape (per step: in, kept, dropped by reason). Rows whose image is listed in ``exclude`` (e.g.
the JA-VG-VQA-500 evaluation images) are dropped. Image paths in ``OUT/instructions.jsonl`` are relative to
it, as ``babelvlm train`` reads them.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import regex

from babelvlm.atomic import write_lines_atomic, write_text_atomic
from babelvlm.builders.run import StepStats
from babelvlm.builders.text_steps import load_table
from babelvlm.errors import ConfigError, DataError
from babelvlm.langs import language_name
from babelvlm.models.base import ModelAPI
from babelvlm.schema import Output, Request

TEXT_TYPES = ("conversation", "detail", "complex")
_QA = regex.compile(r"Q[:：]\s*(.+?)\s*A[:：]\s*(.+?)\s*(?=(?:={3,}|\n\s*Q[:：]|$))", regex.DOTALL)


@dataclass
class InstructionConfig:
    """What to generate, in which language, with which generation settings."""

    lang: str = "ja"
    types: tuple[str, ...] = TEXT_TYPES
    max_new_tokens: int = 1024
    temperature: float = 0.0
    exclude: frozenset[str] = frozenset()


@dataclass
class Job:
    """One generation: the request and how its answer becomes a conversation."""

    row_id: str
    kind: str
    image: str
    prompt: str
    images: list[bytes] = field(default_factory=list)
    question: str | None = None


def prompts(lang: str) -> dict[str, Any]:
    """The prompt row of ``lang`` (English's with a language line when the language has none)."""
    table = load_table("instruction_prompts")
    row = dict(table.get(lang, table["en"]))
    row["language_line"] = row["language_line"].format(language=language_name(lang))
    return row


def parse_qa(text: str) -> list[tuple[str, str]]:
    """The (question, answer) pairs of a Q:/A:/=== answer (Table 6 format), in order."""
    cleaned = text.replace("```", "")
    return [(q.strip(), a.strip()) for q, a in _QA.findall(cleaned) if q.strip() and a.strip()]


def conversation(pairs: list[tuple[str, str]]) -> list[dict[str, str]]:
    """LLaVA turns: the image token before the first question."""
    turns: list[dict[str, str]] = []
    for i, (question, answer) in enumerate(pairs):
        turns.append({"from": "human", "value": f"<image>\n{question}" if i == 0 else question})
        turns.append({"from": "gpt", "value": answer})
    return turns


def _context(row: dict[str, Any], row_prompts: dict[str, Any]) -> str:
    boxes = "\n".join(
        f"{b['label']}: [{', '.join(f'{float(x):.2f}' for x in b['bbox'])}]" for b in row.get("boxes", [])
    )
    return str(row_prompts["context"]).format(captions="\n".join(row["captions"]), boxes=boxes or "-")


def _pick(options: list[str], key: str) -> str:
    return options[int(hashlib.sha256(key.encode()).hexdigest(), 16) % len(options)]


def jobs_for_row(row: dict[str, Any], config: InstructionConfig, base: Path) -> list[Job]:
    """The generations one caption row or image row asks for (none for a VQA row)."""
    p = prompts(config.lang)
    row_id, image = str(row["id"]), str(row["image"])
    if "captions" in row:
        jobs = []
        for kind in config.types:
            question = _pick(p["detail_questions"], row_id) if kind == "detail" else None
            head = p[kind].format(question=question) if question else p[kind].format()
            text = f"{head}\n{p['language_line']}\n\n{_context(row, p)}"
            jobs.append(Job(row_id, kind, image, text, question=question))
        return jobs
    data = (base / image).read_bytes()
    return [Job(row_id, "image_qa", image, f"{p['image_qa'].format()}\n{p['language_line']}", [data])]


def vqa_record(row: dict[str, Any], lang: str) -> dict[str, Any]:
    """A short-answer VQA row as one multi-turn conversation (seed 002: JA-VG-VQA)."""
    pairs = [(str(qa["question"]), str(qa["answer"])) for qa in row["qa"]]
    first_q, first_a = pairs[0]
    pairs[0] = (f"{first_q}\n{prompts(lang)['short_answer']}", first_a)
    return {
        "id": f"{row['id']}-vqa",
        "image": row["image"],
        "type": "vqa",
        "lang": lang,
        "conversations": conversation(pairs),
    }


def read_rows(path: Path, exclude: frozenset[str], stats: StepStats) -> Iterator[dict[str, Any]]:
    """Valid input rows; bad ones and excluded images are counted drops."""
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            stats.n_in += 1
            reason = None
            try:
                row = json.loads(line)
                reason = _row_problem(row, path.parent)
            except ValueError:
                reason = "bad json line"
            if reason is None and (row["image"] in exclude or Path(row["image"]).name in exclude):
                reason = "evaluation image excluded"
            if reason is not None:
                stats.dropped[reason] = stats.dropped.get(reason, 0) + 1
                continue
            stats.kept += 1
            row.setdefault("id", f"{path.stem}-{number}")
            yield row


def _row_problem(row: Any, base: Path) -> str | None:
    if not isinstance(row, dict) or not isinstance(row.get("image"), str):
        return "row without image"
    if "qa" in row:
        ok = (
            isinstance(row["qa"], list)
            and row["qa"]
            and all({"question", "answer"} <= set(q) for q in row["qa"])
        )
        return None if ok else "bad qa list"
    if "captions" in row:
        return None if isinstance(row["captions"], list) and row["captions"] else "empty captions"
    return None if (base / row["image"]).is_file() else "image file missing"


def _request(job: Job, model: ModelAPI, config: InstructionConfig) -> Request:
    from babelvlm.engine.requests import cache_key  # the engine's own key recipe

    key = cache_key(model.fingerprint, job.prompt, job.images, config.max_new_tokens, config.temperature)
    return Request(
        key=key,
        task=f"instructions:{job.kind}",
        sample_id=job.row_id,
        prompt=job.prompt,
        images=job.images,
        max_new_tokens=config.max_new_tokens,
        temperature=config.temperature,
        lang=config.lang,
    )


def _answered(store: Any, model: ModelAPI, requests: list[Request], chunk: int) -> dict[str, Output]:
    """Answers of every request: stored ones reused, the rest sent in chunks and recorded as they come."""
    from babelvlm.models.aux_cache import generate_all

    known = store.results([r.key for r in requests])
    answers = {k: Output(text=t) for k, (t, _) in known.items() if t is not None}
    todo = [r for r in {r.key: r for r in requests}.values() if r.key not in answers]
    attempts = store.attempts([r.key for r in todo])
    for i in range(0, len(todo), chunk):
        batch = [_with_attempt(r, attempts.get(r.key, 0) + 1) for r in todo[i : i + chunk]]
        outputs = [_non_empty(o) for o in generate_all(model, batch)]
        store.record(batch, outputs)
        answers.update({r.key: o for r, o in zip(batch, outputs, strict=True)})
    return answers


def _with_attempt(request: Request, attempt: int) -> Request:
    return replace(request, attempt=attempt)


def _non_empty(output: Output) -> Output:
    if output.ok and output.text and output.text.strip():
        return output
    return Output(error=output.error or "empty answer", latency_s=output.latency_s)


def _record(job: Job, text: str, lang: str) -> dict[str, Any] | str:
    """The LLaVA record of one answer, or why it cannot be one."""
    pairs = parse_qa(text)
    if not pairs:
        return "answer not in Q:/A: format"
    if job.kind == "detail":
        pairs = [(job.question or pairs[0][0], pairs[0][1])]
    elif job.kind == "complex":
        pairs = pairs[:1]
    return {
        "id": f"{job.row_id}-{job.kind}",
        "image": job.image,
        "type": job.kind,
        "lang": lang,
        "conversations": conversation(pairs),
    }


def _jobs(rows: list[dict[str, Any]], config: InstructionConfig, input_path: Path) -> list[Job]:
    jobs: list[Job] = []
    for row in rows:
        if "qa" not in row:
            try:
                jobs.extend(jobs_for_row(row, config, input_path.parent))
            except (OSError, KeyError, TypeError, ValueError) as exc:
                raise DataError(
                    f"row '{row.get('id')}': cannot build prompts ({exc})",
                    file=str(input_path),
                    field="captions/boxes",
                    fix="captions as a list of strings, boxes as {label, bbox: [x1, y1, x2, y2]}",
                ) from exc
    return jobs


def _parse_answers(
    jobs: list[Job], keys: list[str], answers: dict[str, Output], lang: str, gen: StepStats, parse: StepStats
) -> list[dict[str, Any]]:
    """LLaVA records of the answers; failed generations and unparseable answers counted with reasons."""
    records: list[dict[str, Any]] = []
    for job, key in zip(jobs, keys, strict=True):
        gen.n_in += 1
        output = answers[key]
        if not output.ok:
            gen.dropped["generation failed"] = gen.dropped.get("generation failed", 0) + 1
            continue
        gen.kept += 1
        parse.n_in += 1
        record = _record(job, output.text or "", lang)
        if isinstance(record, str):
            parse.dropped[record] = parse.dropped.get(record, 0) + 1
        else:
            parse.kept += 1
            records.append(record)
    return records


def build_instructions(
    input_path: Path, generator: ModelAPI, out: Path, config: InstructionConfig
) -> dict[str, Any]:
    """Read, generate (resumable, through the run store), parse and write ``OUT/instructions.jsonl`` and
    ``OUT/stats.json``; returns the stats."""
    from babelvlm.engine.store import RunStore

    if not input_path.is_file():
        raise ConfigError(
            f"input {input_path} is not a file (fix: give a JSONL of caption, qa or image rows)"
        )
    read, gen, parse, write = (
        StepStats(n, u)
        for n, u in (("read", "rows"), ("generate", "requests"), ("parse", "answers"), ("write", "records"))
    )
    rows = list(read_rows(input_path, config.exclude, read))
    jobs = _jobs(rows, config, input_path)
    out.mkdir(parents=True, exist_ok=True)
    with RunStore(out / "store.sqlite") as store:
        store.set_meta("generator", generator.name)
        requests = [_request(j, generator, config) for j in jobs]
        chunk = max(1, generator.batch_size) * max(1, generator.max_concurrency)
        answers = _answered(store, generator, requests, chunk)
    records = [vqa_record(r, config.lang) for r in rows if "qa" in r]
    records += _parse_answers(jobs, [r.key for r in requests], answers, config.lang, gen, parse)
    for record in records:  # image paths relative to instructions.jsonl, as trainers read them
        record["image"] = os.path.relpath(input_path.parent.resolve() / record["image"], out.resolve())
    write.n_in = write.kept = len(records)
    write_lines_atomic(out / "instructions.jsonl", (json.dumps(r, ensure_ascii=False) for r in records))
    stats = {
        "steps": [s.to_json() for s in (read, gen, parse, write)],
        "skipped_steps": [],
        "generator": generator.name,
    }
    write_text_atomic(out / "stats.json", json.dumps(stats, indent=2, ensure_ascii=False) + "\n")
    return stats
