"""A transformers vision tower around EfficientNet-Lite0, for LLaVA-style models (the model organism).

The 1280-channel feature map is average-pooled to ``pool_size`` x ``pool_size`` tokens and standardised
with a stored per-channel mean and inverse standard deviation (buffers saved with the weights, measured on
the training images): pretrained features standardised this way differ between images, which a LLaVA
projector needs to learn anything (raw CNN tokens were nearly identical across images in a first probe).
``register_architectures()`` makes ``AutoConfig`` / ``AutoModel`` know the tower, so that a
``LlavaForConditionalGeneration`` directory using it loads with ``from_pretrained`` like any other.
"""

from __future__ import annotations

from typing import Any

import torch
from torch.nn import functional as F
from transformers import AutoConfig, AutoModel, PretrainedConfig, PreTrainedModel
from transformers.modeling_outputs import BaseModelOutputWithPooling

from babelvlm.models.efficientnet_lite import FEATURE_DIM, EfficientNetLite0

MODEL_TYPE = "babelvlm_efficientnet_lite"


class EfficientNetLiteVisionConfig(PretrainedConfig):  # type: ignore[no-untyped-call]
    """Image size, pooled grid and feature width of the tower."""

    model_type = MODEL_TYPE

    def __init__(
        self,
        image_size: int = 128,
        pool_size: int = 2,
        min_std: float = 0.02,
        frozen_batchnorm: bool = True,
        **kwargs: Any,
    ) -> None:
        self.image_size = image_size
        self.pool_size = pool_size
        self.hidden_size = FEATURE_DIM
        self.patch_size = image_size // pool_size  # what LLaVA's processor divides the image by
        self.min_std = min_std
        self.frozen_batchnorm = frozen_batchnorm
        super().__init__(**kwargs)

    @property
    def num_tokens(self) -> int:
        """Visual tokens per image."""
        return int(self.pool_size * self.pool_size)


class EfficientNetLiteVisionModel(PreTrainedModel):
    """EfficientNet-Lite0 features -> pooled, standardised tokens (B, pool_size^2, 1280)."""

    config_class = EfficientNetLiteVisionConfig
    main_input_name = "pixel_values"
    base_model_prefix = "efficientnet"
    _supports_sdpa = True  # no attention inside: any implementation the LLaVA parent asks for is fine
    _supports_flash_attn = True
    _supports_flex_attn = True
    feature_mean: torch.Tensor
    feature_scale: torch.Tensor
    backbone: EfficientNetLite0

    def __init__(self, config: EfficientNetLiteVisionConfig) -> None:
        super().__init__(config)
        self.backbone = EfficientNetLite0()
        self.register_buffer("feature_mean", torch.zeros(FEATURE_DIM))
        self.register_buffer("feature_scale", torch.ones(FEATURE_DIM))
        self.post_init()  # type: ignore[no-untyped-call]

    def _init_weights(self, module: Any) -> None:
        """Nothing to initialise: weights come from the packaged ImageNet state dict or a saved model."""

    def train(self, mode: bool = True) -> EfficientNetLiteVisionModel:
        """Train mode, except that the backbone's batch norms keep their ImageNet running statistics when
        ``frozen_batchnorm`` (the default): a frozen tower must give the same tokens in training and
        evaluation, and batch statistics of a small batch of similar pictures would not."""
        super().train(mode)
        if self.config.frozen_batchnorm:
            self.backbone.eval()
        return self

    def pooled_features(self, pixel_values: torch.Tensor) -> torch.Tensor:
        """Raw pooled tokens (B, pool^2, 1280) before standardisation (used to measure mean and std)."""
        features = self.backbone.features(pixel_values.to(self.feature_mean.dtype))
        pooled = F.adaptive_avg_pool2d(features, self.config.pool_size)
        return pooled.flatten(2).transpose(1, 2)

    def set_standardisation(self, mean: torch.Tensor, std: torch.Tensor) -> None:
        """Store the training-set per-channel mean and 1 / standard deviation of the pooled tokens; a channel
        that does not vary on the training images (std < ``min_std``, e.g. a ReLU6 channel that is always 0)
        gets scale 0: it carries nothing to learn from, and dividing by its tiny std would blow up the
        first image where it fires."""
        live = std >= self.config.min_std
        scale = torch.where(live, 1.0 / std.clamp_min(self.config.min_std), torch.zeros_like(std))
        self.feature_mean.copy_(mean.to(self.feature_mean.dtype))
        self.feature_scale.copy_(scale.to(self.feature_scale.dtype))

    def forward(
        self,
        pixel_values: torch.Tensor,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
        **kwargs: Any,
    ) -> BaseModelOutputWithPooling:
        """Standardised tokens as ``last_hidden_state`` and as the only ``hidden_states`` entry (LLaVA
        selects ``hidden_states[-1]``)."""
        tokens = (self.pooled_features(pixel_values) - self.feature_mean) * self.feature_scale
        return BaseModelOutputWithPooling(
            last_hidden_state=tokens, pooler_output=tokens.mean(dim=1), hidden_states=(tokens,)
        )


def register_architectures() -> None:
    """Make transformers' auto classes know BabelVLM's vision tower (idempotent)."""
    AutoConfig.register(MODEL_TYPE, EfficientNetLiteVisionConfig, exist_ok=True)
    AutoModel.register(EfficientNetLiteVisionConfig, EfficientNetLiteVisionModel, exist_ok=True)
