"""Session fixtures: the tiny Idefics3 and LLaVA model folders (built once, offline) and small data."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("peft")

sys.path.insert(0, str(Path(__file__).resolve().parent))

from tiny_models import build_tiny_llava, build_tiny_vlm, write_llava_data, write_xtvqa_data


@pytest.fixture(scope="session")
def tiny_dirs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """``{"idefics3": dir, "llava": dir}``: tiny random models with processor and chat template."""
    root = tmp_path_factory.mktemp("tiny_train_models")
    return {"idefics3": build_tiny_vlm(root / "idefics3"), "llava": build_tiny_llava(root / "llava")}


@pytest.fixture(scope="session")
def llava_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Eight LLaVA conversation rows; every third is text-only."""
    return write_llava_data(tmp_path_factory.mktemp("llava_data"), 8, text_only_every=3)


@pytest.fixture(scope="session")
def xtvqa_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Four XT-VQA rows with parallel en/fr questions and answers."""
    return write_xtvqa_data(tmp_path_factory.mktemp("xtvqa_data"), 4)


@pytest.fixture(autouse=True)
def one_torch_thread() -> object:
    """Tiny models train faster on one thread, and the test machine is shared."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
