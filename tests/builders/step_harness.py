"""Run one builder step over documents in-process and read its counters (for unit tests)."""

from __future__ import annotations

import io
from typing import Any

from datatrove.data import Document, Media
from PIL import Image

from babelvlm.builders.steps import Step


def run_step(step: Step, docs: list[Document]) -> tuple[list[Document], dict[str, int]]:
    """The documents ``step`` emits and its counters (``in``, ``kept``, ``dropped/<reason>``...)."""
    out = list(step.run(docs))
    counters = {k: int(v.total) for k, v in step.stats.stats.items()}
    return out, counters


def image_bytes(
    width: int, height: int, color: tuple[int, int, int] = (90, 140, 200), fmt: str = "PNG"
) -> bytes:
    """An encoded image with a gradient (so pHash is not degenerate) tinted by ``color``."""
    img = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    img = Image.blend(img, Image.new("RGB", (width, height), color), 0.5)
    buf = io.BytesIO()
    img.save(buf, format=fmt)
    return buf.getvalue()


def image_doc(*sizes: tuple[int, int], doc_id: str = "d", **meta: Any) -> Document:
    """A document whose images have the given (width, height) metadata."""
    media = [
        Media(id=f"{doc_id}#{k}", type=0, url=f"http://x/{k}.jpg", metadata={"width": w, "height": h, **meta})
        for k, (w, h) in enumerate(sizes)
    ]
    return Document(text="", id=doc_id, media=media)


def text_doc(text: str, **meta: Any) -> Document:
    """A text-only document."""
    return Document(text=text, id=text[:20] or "empty", metadata=dict(meta))
