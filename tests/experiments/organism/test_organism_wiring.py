"""The wiring check's pieces: derangements, the chance level, balanced batches, scoring through a model."""

from __future__ import annotations

from pathlib import Path

import pytest

from babelvlm.experiments.organism import data, wiring


@pytest.fixture(autouse=True)
def _cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BABELVLM_CACHE_DIR", str(tmp_path / "cache"))


@pytest.mark.parametrize("n", [2, 3, 8, 16])
def test_derangement_moves_every_image(n: int) -> None:
    order = wiring.derangement(n, seed=1)
    assert sorted(order) == list(range(n)) and all(i != j for i, j in enumerate(order))
    assert order == wiring.derangement(n, seed=1)
    with pytest.raises(ValueError):
        wiring.derangement(1, seed=1)


def test_balanced_batch_has_every_answer_equally_often_and_chance_follows() -> None:
    samples = data.balanced(data.task_samples(seed=11, scenes=40, langs=["en"], qtypes=["colour"]), 2)
    answers = sorted(s.references[0] for s in samples)
    assert answers == ["blue", "blue", "green", "green", "red", "red", "yellow", "yellow"]
    assert wiring.chance(samples) == 0.25


def test_image_dependence_scores_own_and_shuffled_images(monkeypatch: pytest.MonkeyPatch) -> None:
    """With a scripted model that answers the right word only for the right image (a mock, next to the
    real check in the slow wiring run), own images score 1 and shuffled ones 0."""
    from babelvlm.schema import Output

    samples = data.balanced(data.task_samples(seed=11, scenes=40, langs=["en"], qtypes=["colour"]), 1)
    truth = {s.images[0].read_bytes(): s.references[0] for s in samples}

    class ReadsTheImage:
        def generate(self, requests: list) -> list[Output]:  # type: ignore[type-arg]
            return [Output(text=truth[r.images[0]]) for r in requests]

        def close(self) -> None:
            return None

    monkeypatch.setattr(wiring, "load_model", lambda name: ReadsTheImage())
    result = wiring.image_dependence("mock", samples, seed=0)
    assert result == {"accuracy": 1.0, "shuffled_image_accuracy": 0.0, "chance": 0.25, "n": 4.0}
