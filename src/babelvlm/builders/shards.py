"""Output shards: WebDataset tar files or parquet (images + JSON), one per shard, plus ``manifest.json``.

A pipeline's last step is a ``ShardWriter`` given a ``to_record`` function (document -> ``ShardRecord``).
Each shard is written under a temporary name and renamed when it finishes (a killed shard leaves nothing
half-written; its relaunch writes it again). Tar members carry fixed metadata (mtime 0, uid 0), so the same
documents give byte-identical shards whichever executor ran them.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import pyarrow as pa
import pyarrow.parquet as pq
from datatrove.data import Document

from babelvlm.builders.steps import IN, KEPT, Step
from babelvlm.errors import ConfigError

SHARD_FORMATS = ("webdataset", "parquet")


@dataclass
class ShardRecord:
    """One output sample: a key, JSON fields and images (extension, bytes) in order."""

    key: str
    fields: dict[str, Any]
    images: list[tuple[str, bytes]] = field(default_factory=list)


class ShardWriter(Step):
    """Writes the documents of this shard as ``shards/NNNNN.tar`` (WebDataset) or ``.parquet``."""

    name = "write"
    unit: ClassVar[str] = "documents"

    def __init__(self, folder: str, to_record: Callable[[Document], ShardRecord], fmt: str = "webdataset"):
        super().__init__()
        if fmt not in SHARD_FORMATS:
            raise ConfigError(f"unknown output format '{fmt}' (fix: use one of {', '.join(SHARD_FORMATS)})")
        self.folder, self.to_record, self.fmt = folder, to_record, fmt

    def run_counted(self, data: Iterable[Document], rank: int, world_size: int) -> Iterator[Document]:
        suffix = ".tar" if self.fmt == "webdataset" else ".parquet"
        path = Path(self.folder) / f"{rank:05d}{suffix}"
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        sink = _TarSink(tmp) if self.fmt == "webdataset" else _ParquetSink(tmp)
        try:
            for doc in data:
                self.count(IN)
                self.count(KEPT)
                sink.add(self.to_record(doc))
        finally:
            sink.close()
        os.replace(tmp, path)
        return
        yield  # a writer emits nothing


def _add_member(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode, info.uid, info.gid = len(data), 0, 0o644, 0, 0
    tar.addfile(info, io.BytesIO(data))


class _TarSink:
    """WebDataset layout: ``KEY.json`` plus ``KEY.jpg`` (one image) or ``KEY.0.jpg``, ``KEY.1.png``..."""

    def __init__(self, path: Path) -> None:
        self._tar = tarfile.open(path, "w", format=tarfile.USTAR_FORMAT)  # noqa: SIM115 (closed in close())

    def add(self, rec: ShardRecord) -> None:
        text = json.dumps(rec.fields, ensure_ascii=False, sort_keys=True).encode("utf-8")
        _add_member(self._tar, f"{rec.key}.json", text)
        single = len(rec.images) == 1
        for i, (ext, data) in enumerate(rec.images):
            _add_member(self._tar, f"{rec.key}.{ext}" if single else f"{rec.key}.{i}.{ext}", data)

    def close(self) -> None:
        self._tar.close()


_PARQUET_SCHEMA = pa.schema([("key", pa.string()), ("json", pa.string()), ("images", pa.list_(pa.binary()))])


class _ParquetSink:
    """One row per record: ``key``, ``json`` (the fields) and ``images`` (a list of bytes, in order)."""

    row_group = 256

    def __init__(self, path: Path) -> None:
        self._writer = pq.ParquetWriter(path, _PARQUET_SCHEMA)
        self._rows: list[ShardRecord] = []

    def add(self, rec: ShardRecord) -> None:
        self._rows.append(rec)
        if len(self._rows) >= self.row_group:
            self._flush()

    def _flush(self) -> None:
        rows, self._rows = self._rows, []
        columns = {
            "key": [r.key for r in rows],
            "json": [json.dumps(r.fields, ensure_ascii=False, sort_keys=True) for r in rows],
            "images": [[data for _, data in r.images] for r in rows],
        }
        self._writer.write_table(pa.table(columns, schema=_PARQUET_SCHEMA))

    def close(self) -> None:
        if self._rows:
            self._flush()
        self._writer.close()


def count_records(path: Path) -> int:
    """How many samples a finished shard holds."""
    if path.suffix == ".parquet":
        return int(pq.ParquetFile(path).metadata.num_rows)
    with tarfile.open(path) as tar:
        return sum(1 for m in tar.getmembers() if m.name.endswith(".json"))


def write_manifest(folder: Path, out: Path) -> dict[str, Any]:
    """``manifest.json``: every finished shard with its sample count, size and sha256."""
    shards: list[dict[str, Any]] = []
    for path in sorted(p for p in folder.glob("*") if p.suffix in (".tar", ".parquet")):
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        shards.append(
            {
                "path": str(path.relative_to(out)),
                "samples": count_records(path),
                "bytes": path.stat().st_size,
                "sha256": digest,
            }
        )
    manifest = {"shards": shards, "samples": sum(int(s["samples"]) for s in shards)}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest
