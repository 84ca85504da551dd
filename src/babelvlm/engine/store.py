"""The run store: one SQLite file (WAL) holding every request, answer, failure and score of a run.

Everything a user sees is derived from it. It commits after every batch of answers, so a run killed at
any point (even ``kill -9``) loses at most the requests in flight; a finished key is never sent again.

Tables:
- ``requests``: one row per cache key: task, sample id, status (pending / done / failed), ``attempts``
  (sends that came back), ``answers`` (successful answers recorded; 1 for every done key), last error.
- ``outputs``: the answer text, latency and backend metadata of each done key.
- ``failures``: an append-only log of failed attempts with their error text.
- ``samples``: the (task, sample id) -> key map plus the language axes, prompt and references.
- ``scores``: the scored record of each sample (what ``samples.jsonl`` exports).
- ``meta``: run settings (model name, fingerprint, ...).
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from babelvlm.atomic import write_lines_atomic
from babelvlm.errors import DataError
from babelvlm.schema import Output, Request, Sample

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS requests (
    key TEXT PRIMARY KEY, task TEXT NOT NULL, sample_id TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending', attempts INTEGER NOT NULL DEFAULT 0,
    answers INTEGER NOT NULL DEFAULT 0, last_error TEXT, updated REAL
);
CREATE TABLE IF NOT EXISTS outputs (
    key TEXT PRIMARY KEY, text TEXT NOT NULL, latency_s REAL, meta TEXT, created REAL
);
CREATE TABLE IF NOT EXISTS failures (
    id INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL, attempt INTEGER NOT NULL,
    error TEXT NOT NULL, created REAL
);
CREATE TABLE IF NOT EXISTS samples (
    task TEXT NOT NULL, sample_id TEXT NOT NULL, key TEXT NOT NULL, lang TEXT,
    output_lang TEXT, image_lang TEXT, prompt TEXT, refs TEXT, PRIMARY KEY (task, sample_id)
);
CREATE TABLE IF NOT EXISTS scores (
    task TEXT NOT NULL, sample_id TEXT NOT NULL, record TEXT NOT NULL, PRIMARY KEY (task, sample_id)
);
"""

_UPSERT_STATE = """
INSERT INTO requests (key, task, sample_id, status, attempts, answers, last_error, updated)
VALUES (?1, ?2, ?3, ?4, 1, ?5, ?6, ?7)
ON CONFLICT (key) DO UPDATE SET status = excluded.status, attempts = attempts + 1,
    answers = answers + excluded.answers, last_error = excluded.last_error, updated = excluded.updated
"""

_CHUNK = 500  # SQLite's host-parameter limit is 32766; stay far below it.


class RunStore:
    """A run's SQLite store; use from one thread (the engine's driver thread)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = sqlite3.connect(str(self.path), timeout=30.0)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise DataError(
                f"cannot open the run store ({exc})",
                file=str(self.path),
                fix="delete the file or choose another --out directory",
            ) from exc

    # -- lifecycle ---------------------------------------------------------------------------------
    def close(self) -> None:
        """Close the database (everything is already committed)."""
        self._db.close()

    def __enter__(self) -> RunStore:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- meta --------------------------------------------------------------------------------------
    def set_meta(self, name: str, value: Any) -> None:
        """Store a JSON-serialisable run setting."""
        with self._db:
            self._db.execute(
                "INSERT OR REPLACE INTO meta (name, value) VALUES (?, ?)", (name, json.dumps(value))
            )

    def get_meta(self, name: str) -> Any:
        """A run setting, or None."""
        row = self._db.execute("SELECT value FROM meta WHERE name = ?", (name,)).fetchone()
        return None if row is None else json.loads(row[0])

    # -- planning ----------------------------------------------------------------------------------
    def add_samples(self, items: Sequence[tuple[Sample, str]]) -> None:
        """Record planned samples with their cache keys (idempotent; a re-plan updates the mapping)."""
        now = time.time()
        with self._db:
            self._db.executemany(
                "INSERT OR IGNORE INTO requests (key, task, sample_id, updated) VALUES (?, ?, ?, ?)",
                [(key, s.task, s.id, now) for s, key in items],
            )
            self._db.executemany(
                "INSERT OR REPLACE INTO samples (task, sample_id, key, lang, output_lang, image_lang, "
                "prompt, refs) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        s.task,
                        s.id,
                        key,
                        s.lang,
                        s.output_lang,
                        s.image_lang,
                        s.prompt,
                        json.dumps(s.references, ensure_ascii=False),
                    )
                    for s, key in items
                ],
            )

    def done_keys(self) -> set[str]:
        """Keys that already have an answer (never sent again)."""
        return {row[0] for row in self._db.execute("SELECT key FROM outputs")}

    def attempts(self, keys: Iterable[str]) -> dict[str, int]:
        """How many sends of each key came back so far (0 for keys never answered nor failed)."""
        out: dict[str, int] = {}
        for chunk in _chunks(list(keys)):
            marks = ",".join("?" * len(chunk))
            for key, n in self._db.execute(
                f"SELECT key, attempts FROM requests WHERE key IN ({marks})", chunk
            ):
                out[key] = int(n)
        return out

    # -- results -----------------------------------------------------------------------------------
    def record(self, requests: Sequence[Request], outputs: Sequence[Output]) -> None:
        """Store one batch of answers and failures in one transaction (atomic under kill -9)."""
        now = time.time()
        done: list[tuple[str, str, float, str | None, float]] = []
        failed: list[tuple[str, int, str, float]] = []
        states: list[tuple[str, str, str, str, int, str | None, float]] = []
        for req, out in zip(requests, outputs, strict=True):
            if out.ok:
                meta = json.dumps(out.meta, ensure_ascii=False, default=str) if out.meta else None
                done.append((req.key, out.text or "", out.latency_s, meta, now))
                states.append((req.key, req.task, req.sample_id, "done", 1, None, now))
            else:
                error = out.error or "backend returned no text"
                failed.append((req.key, req.attempt, error, now))
                states.append((req.key, req.task, req.sample_id, "failed", 0, error, now))
        with self._db:
            self._db.executemany(
                "INSERT OR REPLACE INTO outputs (key, text, latency_s, meta, created) VALUES (?, ?, ?, ?, ?)",
                done,
            )
            self._db.executemany(
                "INSERT INTO failures (key, attempt, error, created) VALUES (?, ?, ?, ?)", failed
            )
            self._db.executemany(_UPSERT_STATE, states)

    def results(self, keys: Iterable[str]) -> dict[str, tuple[str | None, str | None]]:
        """key -> (answer text, None) for done keys, (None, last error) for failed ones."""
        out: dict[str, tuple[str | None, str | None]] = {}
        for chunk in _chunks(list(set(keys))):
            marks = ",".join("?" * len(chunk))
            for key, status, error, text in self._db.execute(
                "SELECT r.key, r.status, r.last_error, o.text FROM requests r "
                f"LEFT JOIN outputs o ON o.key = r.key WHERE r.key IN ({marks})",
                chunk,
            ):
                if text is not None:
                    out[key] = (text, None)
                elif status == "failed":
                    out[key] = (None, error or "failed")
        return out

    def output_meta(self, keys: Iterable[str]) -> dict[str, dict[str, Any]]:
        """key -> the backend metadata stored with its answer (keys without metadata left out)."""
        out: dict[str, dict[str, Any]] = {}
        for chunk in _chunks(list(set(keys))):
            marks = ",".join("?" * len(chunk))
            query = f"SELECT key, meta FROM outputs WHERE meta IS NOT NULL AND key IN ({marks})"
            for key, meta in self._db.execute(query, chunk):
                out[key] = json.loads(meta)
        return out

    def counts(self) -> dict[str, int]:
        """Number of keys per status (pending / done / failed) over the whole store."""
        return {
            status: int(n)
            for status, n in self._db.execute("SELECT status, COUNT(*) FROM requests GROUP BY status")
        }

    # -- scores and export -------------------------------------------------------------------------
    def save_scores(self, records: Iterable[dict[str, Any]]) -> None:
        """Store scored sample records (dicts with at least ``task`` and ``sample_id``)."""
        with self._db:
            self._db.executemany(
                "INSERT OR REPLACE INTO scores (task, sample_id, record) VALUES (?, ?, ?)",
                [
                    (r["task"], r["sample_id"], json.dumps(r, ensure_ascii=False, default=str))
                    for r in records
                ],
            )

    def iter_scores(self, items: Iterable[tuple[str, str]]) -> Iterator[dict[str, Any]]:
        """The stored records of ``(task, sample_id)`` items, in the given order (missing ones skipped)."""
        for task, sample_id in items:
            row = self._db.execute(
                "SELECT record FROM scores WHERE task = ? AND sample_id = ?", (task, sample_id)
            ).fetchone()
            if row is not None:
                yield json.loads(row[0])

    def export_samples(self, path: Path, items: Iterable[tuple[str, str]]) -> Path:
        """Write ``samples.jsonl`` (one scored record per line) for ``items``, atomically."""
        return write_lines_atomic(path, (json.dumps(r, ensure_ascii=False) for r in self.iter_scores(items)))


def _chunks(items: list[str]) -> Iterator[list[str]]:
    for i in range(0, len(items), _CHUNK):
        yield items[i : i + _CHUNK]
