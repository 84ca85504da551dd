"""The step base classes of every builder: each step sees a stream of datatrove ``Document``s and, for each
item, keeps it or names the reason it is dropped; the framework counts and writes rejects (see the package
docstring for how to write one).

Counters, kept in datatrove's per-step ``Stats`` so they are saved per shard and merged by the executor:
``in`` (items seen), ``kept``, ``dropped/<reason>``, ``out`` (documents emitted, when a step expands one
item into several), ``skipped/<why>`` (the step had no model and let everything through, loudly).
"""

from __future__ import annotations

import logging
from abc import abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import TYPE_CHECKING, Any, ClassVar

from datatrove.data import Document, Media
from datatrove.pipeline.base import PipelineStep

if TYPE_CHECKING:
    from babelvlm.builders.rejects import RejectsWriter

log = logging.getLogger(__name__)

IN, KEPT, OUT = "in", "kept", "out"
DROPPED_PREFIX, SKIPPED_PREFIX = "dropped/", "skipped/"


@dataclass(frozen=True)
class Drop:
    """A step's verdict that an item is dropped, with the reason counted in ``stats.json``."""

    reason: str


class Step(PipelineStep):  # type: ignore[misc]  # datatrove ships no type information
    """Base of every BabelVLM builder step: a named datatrove block with counted, reasoned decisions.

    Subclasses set ``name`` (the row in ``stats.json``) and ``unit`` (what ``in`` counts: documents, images,
    records, pairs) and implement ``run_counted``. A step that needs a model returns a reason from
    ``unavailable()``; the framework then passes every item through and records ``skipped/<reason>``.
    """

    type = "BabelVLM"
    name: str = "step"
    unit: ClassVar[str] = "documents"

    def __init__(self) -> None:
        super().__init__()
        self.rejects: RejectsWriter | None = None

    def unavailable(self) -> str | None:
        """Why this step cannot run here (e.g. no CLIP model given), or None when it can."""
        return None

    def count(self, label: str, value: int = 1) -> None:
        """Add ``value`` to one of this step's counters (``in``, ``kept``, ``dropped/<reason>``...)."""
        if value:
            self.stat_update(label, value=value)

    def drop(self, reason: str, doc: Document, media: Media | None = None) -> None:
        """Count a drop and hand the item to the rejects writer (when the run writes rejects)."""
        self.count(DROPPED_PREFIX + reason)
        if self.rejects is not None:
            self.rejects.write_reject(self.name, reason, doc, media)

    def run(self, data: Iterable[Document] | None, rank: int = 0, world_size: int = 1) -> Iterator[Document]:
        """datatrove's entry point: the counted stream, or a loud pass-through when the model is missing."""
        missing = self.unavailable()
        if missing is not None:
            log.warning("step %s skipped: %s", self.name, missing)
            self.count(SKIPPED_PREFIX + missing)
            for doc in data or ():
                self.count(IN, self.items_in(doc))
                self.count(KEPT, self.items_in(doc))
                yield doc
            return
        with self.track_time():
            yield from self.run_counted(data or (), rank, world_size)

    def items_in(self, doc: Document) -> int:
        """How many counted items ``doc`` holds for this step (1; media filters count the images)."""
        return 1

    @abstractmethod
    def run_counted(self, data: Iterable[Document], rank: int, world_size: int) -> Iterator[Document]:
        """The step's work over the stream; must count every item as kept or dropped."""


class DocumentFilter(Step):
    """Keeps or drops whole documents: implement ``check(doc) -> None | reason``; batched steps (models)
    override ``check_batch`` and set ``batch_size``."""

    batch_size: int = 1

    @abstractmethod
    def check(self, doc: Document) -> str | None:
        """None to keep ``doc``, or the reason it is dropped."""

    def check_batch(self, docs: Sequence[Document]) -> list[str | None]:
        """Verdicts for a batch of documents (default: ``check`` one by one)."""
        return [self.check(d) for d in docs]

    def run_counted(self, data: Iterable[Document], rank: int, world_size: int) -> Iterator[Document]:
        for batch in _batched(data, max(1, self.batch_size)):
            for doc, reason in zip(batch, self.check_batch(batch), strict=True):
                self.count(IN)
                if reason is None:
                    self.count(KEPT)
                    yield doc
                else:
                    self.drop(reason, doc)


class MediaFilter(Step):
    """Keeps or drops the images of each document (the document goes on with the images kept): implement
    ``check(media, doc) -> None | reason``; batched steps override ``check_batch``. Counts images."""

    unit: ClassVar[str] = "images"
    batch_size: int = 1

    @abstractmethod
    def check(self, media: Media, doc: Document) -> str | None:
        """None to keep ``media``, or the reason it is dropped."""

    def check_batch(self, items: Sequence[tuple[Media, Document]]) -> list[str | None]:
        """Verdicts for a batch of (image, its document) pairs (default: ``check`` one by one)."""
        return [self.check(m, d) for m, d in items]

    def items_in(self, doc: Document) -> int:
        return len(doc.media)

    def run_counted(self, data: Iterable[Document], rank: int, world_size: int) -> Iterator[Document]:
        size = max(1, self.batch_size)
        pending: list[Document] = []
        for doc in data:
            pending.append(doc)
            if sum(len(d.media) for d in pending) >= size:
                yield from self._judge(pending)
                pending = []
        yield from self._judge(pending)

    def _judge(self, docs: list[Document]) -> Iterator[Document]:
        items = [(m, d) for d in docs for m in d.media]
        verdicts = iter(self.check_batch(items)) if items else iter(())
        for doc in docs:
            kept: list[Media] = []
            for media in doc.media:
                reason = next(verdicts)
                self.count(IN)
                if reason is None:
                    self.count(KEPT)
                    kept.append(media)
                else:
                    self.drop(reason, doc, media)
            doc.media = kept
            yield doc


class WindowedStep(Step):
    """Judges the stream sample by sample (frequency rules, quantile thresholds): buffers documents until
    they hold ``sample_size`` counted items (``items_in``), then ``judge_sample`` counts and yields them."""

    sample_size: int = 60_000

    @abstractmethod
    def judge_sample(self, docs: list[Document]) -> Iterator[Document]:
        """Count every item of ``docs`` as kept or dropped and yield the documents that go on."""

    def run_counted(self, data: Iterable[Document], rank: int, world_size: int) -> Iterator[Document]:
        window: list[Document] = []
        held = 0
        for doc in data:
            window.append(doc)
            held += self.items_in(doc)
            if held >= self.sample_size:
                yield from self.judge_sample(window)
                window, held = [], 0
        if window:
            yield from self.judge_sample(window)


class Transform(Step):
    """Turns each document into one new document or drops it (extractors, parsers): implement ``apply``."""

    @abstractmethod
    def apply(self, doc: Document) -> Document | Drop:
        """The transformed document, or ``Drop(reason)``."""

    def run_counted(self, data: Iterable[Document], rank: int, world_size: int) -> Iterator[Document]:
        for doc in data:
            self.count(IN)
            result = self.apply(doc)
            if isinstance(result, Drop):
                self.drop(result.reason, doc)
            else:
                self.count(KEPT)
                yield result


class Expand(Step):
    """Turns each document into several (a page into its alt-text pairs): implement ``expand``. ``in`` counts
    the inputs, ``kept`` those that gave at least one document, ``out`` the documents emitted."""

    @abstractmethod
    def expand(self, doc: Document) -> list[Document] | Drop:
        """The documents made from ``doc`` (non-empty), or ``Drop(reason)``."""

    def run_counted(self, data: Iterable[Document], rank: int, world_size: int) -> Iterator[Document]:
        for doc in data:
            self.count(IN)
            result = self.expand(doc)
            if isinstance(result, Drop) or not result:
                self.drop(result.reason if isinstance(result, Drop) else "produced nothing", doc)
                continue
            self.count(KEPT)
            self.count(OUT, len(result))
            yield from result


class Reader(Step):
    """Reads the input files of this shard (files are dealt to shards round-robin, in sorted order): implement
    ``read(path)``, yielding documents or ``Drop(reason)`` for broken records. Counts records."""

    unit: ClassVar[str] = "records"

    def __init__(self, paths: Sequence[str]) -> None:
        super().__init__()
        self.paths = sorted(str(p) for p in paths)

    def shard_paths(self, rank: int, world_size: int) -> list[str]:
        """The files this shard reads."""
        return self.paths[rank::world_size]

    @abstractmethod
    def read(self, path: str) -> Iterator[Document | Drop]:
        """Every record of ``path``: a document, or ``Drop(reason)`` when it cannot be used."""

    def run_counted(self, data: Iterable[Document], rank: int, world_size: int) -> Iterator[Document]:
        yield from data  # documents from an earlier reader pass through uncounted
        for path in self.shard_paths(rank, world_size):
            for item in self.read(path):
                self.count(IN)
                if isinstance(item, Drop):
                    self.drop(item.reason, Document(text="", id=path, metadata={"path": path}))
                else:
                    self.count(KEPT)
                    yield item


def _batched(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch
