"""Colour jitter: random brightness and contrast, as the released code does once per batch (App. G.3)."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor


@dataclass(frozen=True)
class JitterConfig:
    """Brightness shift ~ U(-brightness, brightness); contrast factor ~ U(*contrast)."""

    brightness: float = 32.0 / 255.0
    contrast: tuple[float, float] = (0.5, 1.5)
    per_image: bool = False  # False: one draw for the whole batch, as the released code


def color_jitter(images: Tensor, config: JitterConfig, generator: torch.Generator) -> Tensor:
    """Shift brightness, scale contrast around each image's per-channel mean, and clip to ``[0, 1]``.

    Args:
        images: ``(B, C, H, W)`` RGB in ``[0, 1]``.
        config: jitter ranges.
        generator: CPU generator the random factors come from.

    Returns:
        ``(B, C, H, W)`` jittered images; they are also the reconstruction target.
    """
    n = images.shape[0] if config.per_image else 1
    delta = (torch.rand(n, 1, 1, 1, generator=generator) * 2 - 1) * config.brightness
    low, high = config.contrast
    factor = low + torch.rand(n, 1, 1, 1, generator=generator) * (high - low)
    delta, factor = delta.to(images), factor.to(images)
    shifted = images + delta
    mean = shifted.mean(dim=(-2, -1), keepdim=True)
    return ((shifted - mean) * factor + mean).clamp(0.0, 1.0)
