"""Rejected items written out with the step and reason that dropped them (``OUT/rejects/NNNNN.jsonl``).

One file per shard, written under a temporary name and renamed when the shard finishes, so a killed shard
leaves no half file and its relaunch writes the same lines again.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import IO, Any

from datatrove.data import Document, Media


def reject_record(step: str, reason: str, doc: Document, media: Media | None) -> dict[str, Any]:
    """The JSON line of one reject: what was dropped (document or image), by which step and why."""
    record: dict[str, Any] = {"step": step, "reason": reason, "doc_id": doc.id}
    if media is not None:
        record.update(media_id=media.id, url=media.url, alt=media.alt)
    else:
        record["text"] = doc.text[:500]
        if "url" in doc.metadata:
            record["url"] = doc.metadata["url"]
    return record


class RejectsWriter:
    """Appends reject records of one shard to ``folder/NNNNN.jsonl`` (atomic per shard)."""

    def __init__(self, folder: Path, rank: int) -> None:
        self.path = Path(folder) / f"{rank:05d}.jsonl"
        self._tmp = self.path.with_name(self.path.name + ".tmp")
        self._file: IO[str] | None = None

    def write_reject(self, step: str, reason: str, doc: Document, media: Media | None = None) -> None:
        """Write one reject line."""
        if self._file is None:
            self._tmp.parent.mkdir(parents=True, exist_ok=True)
            self._file = self._tmp.open("w", encoding="utf-8")
        record = reject_record(step, reason, doc, media)
        self._file.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")

    def close(self) -> None:
        """Finish the shard: the file appears under its final name (none when nothing was rejected)."""
        if self._file is None:
            self.path.unlink(missing_ok=True)
            return
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        self._file = None
        os.replace(self._tmp, self.path)
