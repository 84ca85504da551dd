"""The wiring check: does a trained organism read the image? (The proof every later claim stands on.)

Answers to the same questions are scored twice through the public model API: with each sample's own
image, and with the images shuffled across the samples (a derangement). A model that uses the image
drops to about chance on the shuffled images; one that learned answer frequencies does not.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from babelvlm.models.registry import load_model
from babelvlm.schema import Request, Sample
from babelvlm.tasks import organism_scenes
from babelvlm.tasks.registry import get_task


def derangement(n: int, seed: int) -> list[int]:
    """A permutation of range(n) that moves every index (n >= 2)."""
    if n < 2:
        raise ValueError("shuffling images needs at least two samples")
    rng = random.Random(f"organism-derangement-{seed}")
    while True:
        order = list(range(n))
        rng.shuffle(order)
        if all(i != j for i, j in enumerate(order)):
            return order


def chance(samples: Sequence[Sample]) -> float:
    """Expected accuracy of a uniform guess among each question type's answers."""
    answers = organism_scenes.words()["answers"]
    return sum(1 / len(answers[s.meta["qtype"]]) for s in samples) / len(samples)


def _accuracy(model_name: str, samples: Sequence[Sample], images: Sequence[bytes]) -> float:
    model = load_model(model_name)
    task = get_task("organism")
    requests = [
        Request(
            key=f"wiring-{i}", task="organism", sample_id=s.id, prompt=s.prompt, images=[image], lang=s.lang
        )
        for i, (s, image) in enumerate(zip(samples, images, strict=True))
    ]
    outputs = model.generate(requests)
    model.close()
    scores = [
        task.score(s, o.text)["accuracy"] if o.ok and o.text else 0.0
        for s, o in zip(samples, outputs, strict=True)
    ]
    return sum(float(x or 0.0) for x in scores) / len(samples)


def image_dependence(model_name: str, samples: Sequence[Sample], seed: int = 0) -> dict[str, float]:
    """Accuracy with the right images and with images shuffled across ``samples`` (failed answers count
    as wrong here: this is a pass/fail proof, not a benchmark score), and the chance level."""
    own = [s.images[0].read_bytes() for s in samples]
    shuffled = [own[j] for j in derangement(len(samples), seed)]
    return {
        "accuracy": _accuracy(model_name, samples, own),
        "shuffled_image_accuracy": _accuracy(model_name, samples, shuffled),
        "chance": chance(samples),
        "n": float(len(samples)),
    }
