"""Landmarks from detection maps and detection maps from landmarks (paper eq. 2-3, 5, 11-12).

All points are normalised ``(x, y)`` over the map they refer to (see :mod:`lmsdk.ops.coords`).
"""

from __future__ import annotations

import math
from typing import Literal

import torch
from torch import Tensor

from lmsdk.ops.coords import normalized_grid, pixel_centers

HeatmapNormalization = Literal["original", "paper"]

_MASS_EPS = 1e-12


def _marginals(weights: Tensor) -> tuple[Tensor, Tensor, Tensor, Tensor, Tensor]:
    """Mass ``(B, K)``, the x and y marginals ``(B, K, W)``, ``(B, K, H)`` and the pixel-centre ticks."""
    h, w = weights.shape[-2:]
    xs = pixel_centers(w, device=weights.device, dtype=weights.dtype)
    ys = pixel_centers(h, device=weights.device, dtype=weights.dtype)
    along_x, along_y = weights.sum(dim=-2), weights.sum(dim=-1)
    return along_x.sum(dim=-1) + _MASS_EPS, along_x, along_y, xs, ys


def soft_argmax(weights: Tensor) -> Tensor:
    """Weighted mean position of non-negative maps over the pixel-centre grid (paper eq. 3).

    Args:
        weights: ``(B, K, H, W)`` non-negative maps (e.g. one channel of the per-pixel softmax); each
            map is normalised by its own mass, so it need not sum to one.

    Returns:
        ``(B, K, 2)`` normalised ``(x, y)`` of each map's centre of mass.
    """
    mass, along_x, along_y, xs, ys = _marginals(weights)  # separable: two 1-D weighted sums per map
    return torch.stack([along_x @ xs, along_y @ ys], dim=-1) / mass.unsqueeze(-1)


def spatial_spread(weights: Tensor, centers: Tensor) -> Tensor:
    """Standard deviation of each map along x and y around ``centers`` (the spread of eq. 5).

    Args:
        weights: ``(B, K, H, W)`` non-negative maps.
        centers: ``(B, K, 2)`` normalised ``(x, y)``, usually ``soft_argmax(weights)``.

    Returns:
        ``(B, K, 2)`` normalised ``(std_x, std_y)``.
    """
    mass, along_x, along_y, xs, ys = _marginals(weights)
    var_x = (along_x * (xs - centers[..., :1]).square()).sum(-1)
    var_y = (along_y * (ys - centers[..., 1:]).square()).sum(-1)
    var = torch.stack([var_x, var_y], dim=-1) / mass.unsqueeze(-1)
    # The clamp keeps the gradient finite for a map concentrated on a single pixel.
    return var.clamp_min(1e-12).sqrt()


def render_gaussians(
    points: Tensor,
    sigma: float,
    size: int,
    normalization: HeatmapNormalization = "original",
) -> Tensor:
    """Render landmarks as Gaussian maps plus a background channel, normalised across channels.

    This is the decoder's approximate inverse of the detector (paper eq. 11-12). ``sigma`` is in
    normalised units of the map (image side = 1).

    Args:
        points: ``(B, K, 2)`` normalised ``(x, y)`` in the frame of the rendered map.
        sigma: Gaussian standard deviation, normalised (0.125 is 10 px on an 80 px map).
        size: side of the square output map in pixels.
        normalization: ``"original"`` reproduces the released code: raw score
            ``exp(-d^2 / 2 sigma^2) / (2 pi sigma^4 (size^2)^2)`` against a background of ``1 / size^2``.
            ``"paper"`` follows eq. 11-12: the Gaussian density ``exp(-d^2 / 2 sigma^2) / (2 pi sigma^2)``
            in normalised units against a background of 1.

    Returns:
        ``(B, K + 1, size, size)`` maps that sum to one over channels at every pixel; the last channel
        is the background. The tensor is channels-last in memory (a permuted NHWC view).
    """
    if points.dtype in (torch.float16, torch.bfloat16):
        points = points.float()  # the maps are normalised by a sum over channels: at least fp32
    grid = normalized_grid(size, size, device=points.device, dtype=points.dtype)  # (S, S, 2)
    b, k = points.shape[:2]
    # Built channels-last, (B, S, S, K), and returned as a permuted view: the decoder's convolutions run in
    # NHWC, and the maps then reach them without a transposing copy.
    d2 = (grid.view(1, size, size, 1, 2) - points.view(b, 1, 1, k, 2)).square().sum(-1)
    if normalization == "original":
        area = float(size * size)
        log_scale = -math.log(2.0 * math.pi * sigma**4 * area * area)
        background = 1.0 / area
    elif normalization == "paper":
        log_scale = -math.log(2.0 * math.pi * sigma**2)
        background = 1.0
    else:
        raise ValueError(f"unknown heatmap normalization {normalization!r}")
    # raw / sum(raw) over [raw_k, background], computed relative to the largest possible score (d2 = 0 or the
    # background) so nothing overflows; the background term is then at least exp(-|log_scale - log bg|), far
    # from underflow for any sigma in use. (torch.softmax over a last dimension of K + 1 is 5-7x slower here.)
    log_bg = math.log(background)
    top = max(log_scale, log_bg)
    raw = torch.exp(d2 * (-0.5 / sigma**2) + (log_scale - top))  # (B, S, S, K)
    bg = math.exp(log_bg - top)
    total = raw.sum(-1, keepdim=True) + bg
    return torch.cat([raw, torch.full_like(total, bg)], dim=-1).div_(total).permute(0, 3, 1, 2)
