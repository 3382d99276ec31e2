"""Mean-edge padding: the margin that lets the equivariance warps move the object without losing it."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor


def border_mean(images: Tensor) -> Tensor:
    """Mean of the border pixels (top and bottom rows, left and right columns, each pixel once).

    Args:
        images: ``(B, C, H, W)``.

    Returns:
        ``(B, C, 1, 1)`` per image and channel.
    """
    h, w = images.shape[-2:]
    mask = torch.zeros(h, w, dtype=images.dtype, device=images.device)
    mask[0, :] = 1
    mask[-1, :] = 1
    mask[:, 0] = 1
    mask[:, -1] = 1
    return (images * mask).sum(dim=(-2, -1), keepdim=True) / mask.sum()


def mean_edge_pad(images: Tensor, padded_size: int) -> Tensor:
    """Centre square crops in a ``padded_size`` canvas filled, per image and channel, with the border mean.

    Args:
        images: ``(B, C, S, S)`` crops.
        padded_size: side P >= S of the output; ``P - S`` must be even so the crop stays centred.

    Returns:
        ``(B, C, P, P)``.
    """
    size = images.shape[-1]
    margin = padded_size - size
    if margin < 0 or margin % 2:
        raise ValueError(f"cannot centre a {size} px crop in {padded_size} px (need an even, non-negative margin)")
    if margin == 0:
        return images
    p = margin // 2
    mean = border_mean(images)
    # Pad with zeros, then add the mean everywhere outside the crop.
    inside = F.pad(torch.ones_like(images[:1, :1]), (p, p, p, p))
    return F.pad(images, (p, p, p, p)) + mean * (1 - inside)
