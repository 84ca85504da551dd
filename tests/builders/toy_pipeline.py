"""A toy pipeline over every kind of step (shared by the framework and executor tests)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from datatrove.data import Document, Media

from babelvlm.builders.shards import ShardRecord, ShardWriter
from babelvlm.builders.steps import DocumentFilter, Drop, Expand, MediaFilter, Reader, Step


class NumberReader(Reader):
    """Reads one integer per line; a non-integer line is a broken record."""

    name = "read_numbers"

    def read(self, path: str) -> Iterator[Document | Drop]:
        for i, line in enumerate(Path(path).read_text().splitlines()):
            if not line.strip().isdigit():
                yield Drop("not a number")
                continue
            n = int(line)
            media = [Media(id=f"{n}.{k}", type=0, url=f"u{k}", metadata={"size": k}) for k in range(n % 4)]
            yield Document(text=line, id=f"{Path(path).stem}-{i}", media=media)


class EvenOnly(DocumentFilter):
    name = "even"

    def check(self, doc: Document) -> str | None:
        return None if int(doc.text) % 2 == 0 else "odd"


class SizeAtLeastOne(MediaFilter):
    name = "size"
    batch_size = 3

    def check(self, media: Media, doc: Document) -> str | None:
        return None if media.metadata["size"] >= 1 else "size<1"


class NeedsModel(DocumentFilter):
    name = "needs_model"

    def unavailable(self) -> str | None:
        return "no model given"

    def check(self, doc: Document) -> str | None:
        raise AssertionError("must not run without its model")


class Twice(Expand):
    name = "twice"

    def expand(self, doc: Document) -> list[Document] | Drop:
        if doc.text == "0":
            return Drop("zero")
        return [Document(text=doc.text, id=f"{doc.id}-{k}", media=list(doc.media)) for k in range(2)]


def record_of(doc: Document) -> ShardRecord:
    return ShardRecord(doc.id, {"n": doc.text, "media": [m.id for m in doc.media]})


def toy_steps(inputs: list[Path], out: Path) -> list[Step]:
    return [
        NumberReader([str(p) for p in inputs]),
        EvenOnly(),
        SizeAtLeastOne(),
        NeedsModel(),
        Twice(),
        ShardWriter(str(out / "shards"), record_of),
    ]


def toy_inputs(tmp_path: Path) -> list[Path]:
    paths = []
    for k in range(3):
        p = tmp_path / "in" / f"part{k}.txt"
        p.parent.mkdir(exist_ok=True)
        p.write_text("\n".join([*(str(n) for n in range(k, 12 + k)), "oops"]) + "\n")
        paths.append(p)
    return paths
