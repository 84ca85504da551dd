"""Scenes of the model organism: simple pictures whose answers a pretrained CNN can see.

Five question types: the colour, shape or side (left/right) of one shape, the number of shapes (1-4),
and a large digit. Scenes are drawn from a seed (train and evaluation use different seeds); every scene's
question is asked in every language, with the answer as a word in the question's language
(``data/organism_words.json``; no answer word is shared between languages).
"""

from __future__ import annotations

import io
import json
import math
import random
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

WORDS_FILE = Path(__file__).parent / "data" / "organism_words.json"
IMAGE_SIZE = 128
QTYPES = ("colour", "shape", "position", "count", "digit")
GENERATOR_VERSION = "1"


@cache
def words() -> dict[str, Any]:
    """Questions and answer words per language (``data/organism_words.json``)."""
    table: dict[str, Any] = json.loads(WORDS_FILE.read_text(encoding="utf-8"))
    return table


def languages() -> tuple[str, ...]:
    """Languages with a question for every question type."""
    questions = words()["questions"]
    common = set.intersection(*(set(questions[q]) for q in QTYPES))
    return tuple(lang for lang in questions["colour"] if lang in common)


@dataclass(frozen=True)
class Scene:
    """One picture: its question type, the answer concept and what to draw."""

    index: int
    qtype: str
    answer: str
    shapes: tuple[tuple[str, str, int, int, int], ...]
    """(shape, colour, centre x, centre y, radius) per shape; empty for a digit scene."""
    digit: str = ""
    digit_colour: str = ""


def answer_word(qtype: str, concept: str, lang: str) -> str:
    """The answer to a ``qtype`` question whose concept is ``concept``, in ``lang``."""
    word: str = words()["answers"][qtype][concept][lang]
    return word


def question(qtype: str, lang: str) -> str:
    """The ``qtype`` question in ``lang``."""
    text: str = words()["questions"][qtype][lang]
    return text


def make_scenes(seed: int, per_qtype: int, qtypes: tuple[str, ...] = QTYPES) -> list[Scene]:
    """``per_qtype`` scenes of each question type, interleaved, deterministic in ``seed``."""
    rng = random.Random(f"organism-{seed}")
    scenes: list[Scene] = []
    for _ in range(per_qtype):
        for qtype in qtypes:
            scenes.append(_scene(rng, len(scenes), qtype))
    return scenes


def _scene(rng: random.Random, index: int, qtype: str) -> Scene:
    colours = list(words()["answers"]["colour"])
    shapes = list(words()["answers"]["shape"])
    if qtype == "digit":
        digit = rng.choice(list(words()["answers"]["digit"]))
        return Scene(index, qtype, digit, (), digit=digit, digit_colour=rng.choice(colours))
    if qtype == "count":
        n = rng.randint(1, 4)
        cells = rng.sample([(0, 0), (1, 0), (0, 1), (1, 1)], n)
        colour, shape = rng.choice(colours), rng.choice(shapes)
        drawn = tuple(
            (
                shape,
                colour,
                32 + 64 * cx + rng.randint(-6, 6),
                32 + 64 * cy + rng.randint(-6, 6),
                rng.randint(14, 20),
            )
            for cx, cy in cells
        )
        return Scene(index, qtype, str(n), drawn)
    side = rng.choice(["left", "right"])
    x = (
        (rng.randint(26, 40) if side == "left" else rng.randint(88, 102))
        if qtype == "position"
        else rng.randint(34, 94)
    )
    one = (rng.choice(shapes), rng.choice(colours), x, rng.randint(34, 94), rng.randint(18, 26))
    answer = {"colour": one[1], "shape": one[0], "position": side}[qtype]
    return Scene(index, qtype, answer, (one,))


def render_png(scene: Scene) -> bytes:
    """The scene as a PNG (light background, flat shapes or a large digit)."""
    from PIL import Image, ImageDraw, ImageFont

    rng = random.Random(f"organism-render-{scene.index}-{scene.answer}")
    shade = rng.randint(225, 250)
    image = Image.new("RGB", (IMAGE_SIZE, IMAGE_SIZE), (shade, shade, shade))
    draw = ImageDraw.Draw(image)
    rgb = {name: tuple(value) for name, value in words()["colours_rgb"].items()}
    for shape, colour, cx, cy, r in scene.shapes:
        _draw_shape(draw, shape, rgb[colour], cx, cy, r)
    if scene.digit:
        font = ImageFont.load_default(size=96)
        draw.text(
            (IMAGE_SIZE // 2, IMAGE_SIZE // 2),
            scene.digit,
            fill=rgb[scene.digit_colour],
            font=font,
            anchor="mm",
        )
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _draw_shape(draw: Any, shape: str, fill: tuple[int, ...], cx: int, cy: int, r: int) -> None:
    if shape == "circle":
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=fill)
    elif shape == "square":
        draw.rectangle((cx - r, cy - r, cx + r, cy + r), fill=fill)
    else:  # a five-pointed star
        points = []
        for k in range(10):
            radius = r if k % 2 == 0 else r * 0.45
            angle = -math.pi / 2 + k * math.pi / 5
            points.append((cx + radius * math.cos(angle), cy + radius * math.sin(angle)))
        draw.polygon(points, fill=fill)
