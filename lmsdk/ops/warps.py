"""Random warps for the equivariance constraint (paper eq. 8, App. F.3 and G.3).

A warp ``g`` is a *sampling map*: the warped image is ``I'(u) = I(g(u))``. The equivariance loss then
needs only ``g`` itself: landmarks ``l'`` found on ``I'`` must satisfy ``g(l') = l``. Warps act on the
``[-1, 1]`` frame of ``grid_sample(align_corners=False)`` over the **padded** image, as in the released
code, and are ``g = T o A``: a random similarity ``A`` followed by a thin-plate spline ``T`` whose control
points are either a regular grid or, per sample, the landmarks currently detected.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor

from lmsdk.ops.coords import normalized_grid, to_grid_sample
from lmsdk.ops.tps import TpsParams, apply_tps, fit_tps, regular_grid


@dataclass(frozen=True)
class WarpConfig:
    """Distribution of the random warps. Lengths are in the ``[-1, 1]`` frame unless named otherwise."""

    grid_size: int = 7  # control points per side of the regular TPS grid
    grid_std: float = 0.1  # std of the regular-grid control displacements
    landmark_std: float = 0.05  # std of the landmark control displacements (App. G.3)
    landmark_regularization: float = 1e-3  # ridge that keeps coinciding landmarks solvable
    rotation_std_deg: float = 10.0  # rotation ~ N(0, 10 deg)
    log_scale_std: float = math.log(1.25)  # scale = exp(N(0, ln 1.25))
    translation: float = 0.15  # shift ~ U(-0.15, 0.15) in normalised [0, 1] units, per axis


class Warp(NamedTuple):
    """A batch of sampling maps ``g = T o A`` on the ``[-1, 1]`` frame."""

    affine: Tensor  # (B, 2, 3): A(p) = affine[:, :, :2] @ p + affine[:, :, 2]
    grid_tps: TpsParams  # T for samples that use the regular grid
    landmark_tps: TpsParams | None  # T for samples that use landmark control points
    use_landmarks: Tensor  # (B,) bool: which T each sample uses


def apply_warp(warp: Warp, points: Tensor) -> Tensor:
    """Map points ``(B, M, 2)`` of the warped image to the source image (both in the ``[-1, 1]`` frame)."""
    moved = points @ warp.affine[:, :, :2].transpose(1, 2) + warp.affine[:, :, 2].unsqueeze(1)
    out = apply_tps(warp.grid_tps, moved)
    if warp.landmark_tps is not None:
        out = torch.where(warp.use_landmarks.view(-1, 1, 1), apply_tps(warp.landmark_tps, moved), out)
    return out


def warp_points(warp: Warp, points: Tensor) -> Tensor:
    """:func:`apply_warp` on normalised ``[0, 1]`` points of the padded image, ``(B, M, 2)``."""
    return (apply_warp(warp, points * 2.0 - 1.0) + 1.0) * 0.5


def warp_images(images: Tensor, warp: Warp) -> Tensor:
    """Resample ``(B, C, H, W)`` images through the warp: bilinear, border values clamped."""
    b, _, h, w = images.shape
    grid = to_grid_sample(normalized_grid(h, w, device=images.device, dtype=images.dtype))
    source = apply_warp(warp, grid.reshape(1, h * w, 2).expand(b, -1, -1)).view(b, h, w, 2)
    return F.grid_sample(images, source, mode="bilinear", padding_mode="border", align_corners=False)


def identity_warp(batch: int, *, device: torch.device | None = None, dtype: torch.dtype = torch.float32) -> Warp:
    """The warp that maps every point to itself (a TPS on a 3x3 grid with no displacement)."""
    controls = regular_grid(3, device=device, dtype=dtype).expand(batch, -1, -1)
    affine = torch.eye(2, 3, device=device, dtype=dtype).expand(batch, -1, -1)
    return Warp(affine, fit_tps(controls, controls), None, torch.zeros(batch, dtype=torch.bool, device=device))


def sample_warp(
    batch: int,
    config: WarpConfig,
    *,
    generator: torch.Generator,
    device: torch.device | None = None,
    dtype: torch.dtype = torch.float32,
    landmarks: Tensor | None = None,
    landmark_probability: float = 0.0,
) -> Warp:
    """Draw a batch of random warps.

    Random numbers are drawn on the CPU from ``generator`` (so a seed gives the same warps on any
    device) and then moved to ``device``.

    Args:
        batch: number of warps B.
        config: the warp distribution.
        generator: CPU generator.
        landmarks: ``(B, K, 2)`` current landmarks in the ``[-1, 1]`` frame of the padded image; needed
            when ``landmark_probability > 0``.
        landmark_probability: chance that a sample uses the landmark-control-point TPS instead of the
            regular grid (the paper's 3 in 10 once training has settled).

    Returns:
        :class:`Warp`.
    """
    cpu = dict(generator=generator, dtype=torch.float64)
    angle = torch.randn(batch, **cpu) * math.radians(config.rotation_std_deg)
    scale = torch.exp(torch.randn(batch, **cpu) * config.log_scale_std)
    shift = (torch.rand(batch, 2, **cpu) * 2.0 - 1.0) * (2.0 * config.translation)
    cos, sin = torch.cos(angle) * scale, torch.sin(angle) * scale
    affine = torch.stack([torch.stack([cos, sin, shift[:, 0]], -1), torch.stack([-sin, cos, shift[:, 1]], -1)], 1)

    controls = regular_grid(config.grid_size, dtype=torch.float64).expand(batch, -1, -1)
    values = controls + torch.randn(controls.shape, **cpu) * config.grid_std
    use_landmarks = torch.rand(batch, **cpu) < landmark_probability
    landmark_tps = None
    if landmark_probability > 0:
        if landmarks is None:
            raise ValueError("landmark control points need the current landmarks")
        lm = landmarks.detach().to("cpu", torch.float64)
        lm_values = lm + torch.randn(lm.shape, **cpu) * config.landmark_std
        landmark_tps = _to(fit_tps(lm, lm_values, config.landmark_regularization), device, dtype)
    return Warp(
        affine=affine.to(device=device, dtype=dtype),
        grid_tps=_to(fit_tps(controls, values), device, dtype),
        landmark_tps=landmark_tps,
        use_landmarks=use_landmarks.to(device),
    )


def _to(params: TpsParams, device: torch.device | None, dtype: torch.dtype) -> TpsParams:
    return TpsParams(*(t.to(device=device, dtype=dtype) for t in params))
