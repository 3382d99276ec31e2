"""The landmark detector: image -> K + 1 detection maps -> landmark coordinates (paper Sec. 3.1)."""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import Tensor, nn

from lmsdk.model.config import ModelConfig
from lmsdk.model.hourglass import ConvBNAct, Hourglass, at_least_fp32
from lmsdk.ops.coords import padded_to_crop
from lmsdk.ops.heatmaps import soft_argmax, spatial_spread


class Detection(NamedTuple):
    """Detector outputs for a batch of B padded images."""

    points: Tensor  # (B, K, 2) landmarks, normalised (x, y) in the crop frame
    spread: Tensor  # (B, K, 2) std of each detection map along x and y, normalised in the crop frame
    probs: Tensor  # (B, K + 1, h, w) per-pixel softmax over landmarks + background (last channel)

    @property
    def confidence(self) -> Tensor:
        """``(B, K)`` the peak of each landmark's detection map (background excluded), in ``[0, 1]``."""
        return self.probs[:, :-1].flatten(2).amax(dim=-1)


class LandmarkDetector(nn.Module):
    """Hourglass -> conv to K + 1 score maps (BN, no activation) -> per-pixel softmax over channels -> soft-argmax."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.crop_size = config.crop_size
        self.padded_size = config.padded_size
        self.hourglass = Hourglass(3, config.detector, bn_eps=config.bn_eps, slope=config.leaky_slope)
        self.head = ConvBNAct(
            self.hourglass.out_channels,
            config.num_landmarks + 1,
            kernel=config.detector_head_kernel,
            bn_eps=config.bn_eps,
            slope=None,
        )
        nn.init.constant_(self.head[1].weight, config.detector_head_scale)

    def forward(self, padded: Tensor, crop_size: int | None = None) -> Detection:
        """Detect landmarks on ``(B, 3, P, P)`` padded RGB images in ``[0, 1]``.

        ``crop_size`` is the side of the crop inside the padding (default: the configured one, for inputs of
        the configured padded size); a resolution curriculum runs the same network on smaller images.
        """
        crop, pad = (self.crop_size, self.padded_size) if crop_size is None else (crop_size, padded.shape[-1])
        logits = self.head(self.hourglass(padded))
        # Softmax across channels at each pixel, not across space (eq. 2); statistics in fp32.
        probs = torch.softmax(at_least_fp32(logits), dim=1)
        maps = probs[:, :-1]
        centers = soft_argmax(maps)
        spread = spatial_spread(maps, centers) * (pad / crop)
        return Detection(padded_to_crop(centers, crop, pad), spread, probs)
