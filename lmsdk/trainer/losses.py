"""The training objective as pure functions (paper eq. 5, 7, 8, 15; constants of the released code).

Landmarks are normalised ``(x, y)`` in the crop frame, so weights carry over between image sizes.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import torch
from torch import Tensor, nn

from lmsdk.ops.coords import crop_to_padded, padded_to_crop
from lmsdk.ops.warps import Warp, warp_points

_TWO_PI_E = 2.0 * math.pi * math.e


def concentration_loss(spread: Tensor) -> Tensor:
    """``2 pi e s^2`` summed over landmarks, averaged over the batch, with ``s = (std_x + std_y) / 2``.

    This is the exponential of the entropy of an isotropic Gaussian with the map's spread; the released
    code averages the two standard deviations (eq. 5 reads as a sum of variances).

    Args:
        spread: ``(B, K, 2)`` per-landmark ``(std_x, std_y)``.
    """
    s = spread.mean(dim=-1)
    return (_TWO_PI_E * s.square()).sum(dim=-1).mean()


def separation_loss(points: Tensor, sigma: float) -> Tensor:
    """``sum_{k != k'} exp(-|l_k - l_k'|^2 / (2 sigma^2))`` (ordered pairs), averaged over the batch.

    Args:
        points: ``(B, K, 2)`` landmarks.
        sigma: bandwidth, normalised.
    """
    d2 = (points.unsqueeze(2) - points.unsqueeze(1)).square().sum(dim=-1)  # (B, K, K)
    off_diagonal = 1.0 - torch.eye(points.shape[1], dtype=points.dtype, device=points.device)
    return (torch.exp(-d2 / (2.0 * sigma**2)) * off_diagonal).sum(dim=(1, 2)).mean()


def equivariance_loss(points: Tensor, warped_points: Tensor, warp: Warp, crop_size: int, padded_size: int) -> Tensor:
    """``sum_k |g(l'_k) - l_k|^2`` averaged over the batch, in the released code's units.

    ``g`` (the warp) maps the landmarks found on the warped image back to the source image. The released
    code measures squared distances in the ``[-1, 1]`` frame of the padded image and divides by the
    crop-to-padded ratio; in crop coordinates that is a factor ``4 S / P`` (10 / 3 for 80 -> 96).
    Gradients flow through both branches.

    Args:
        points: ``(B, K, 2)`` landmarks of the source images (crop frame).
        warped_points: ``(B, K, 2)`` landmarks of the warped images (crop frame).
        warp: the sampling maps that made the warped images (padded frame).
    """
    back = padded_to_crop(
        warp_points(warp, crop_to_padded(warped_points, crop_size, padded_size)), crop_size, padded_size
    )
    scale = 4.0 * crop_size / padded_size
    return scale * (back - points).square().sum(dim=(1, 2)).mean()


def identity_loss(points: Tensor, base_points: Tensor, crop_size: int, padded_size: int) -> Tensor:
    """``sum_k |l_k - b_k|^2`` averaged over the batch, in the units of :func:`equivariance_loss` (a factor
    ``4 S / P``): how far the trained model's landmark k lies from a fixed model's landmark k on the same images.

    Fine-tuning holds the numbering of a started-from model with it (landmark k stays landmark k). Gradients flow
    through ``points`` alone.

    Args:
        points: ``(B, K, 2)`` landmarks of the trained model (crop frame).
        base_points: ``(B, K, 2)`` landmarks of the fixed model on the same images (crop frame).
        crop_size: S, the crop side the points were found at.
        padded_size: P, the padded side of the images the models saw.
    """
    scale = 4.0 * crop_size / padded_size
    return scale * (points - base_points.detach()).square().sum(dim=(1, 2)).mean()


def reconstruction_loss(reconstruction: Tensor, target: Tensor) -> Tensor:
    """``0.5 |I - I~|^2`` summed over pixels and channels, averaged over the batch (sigma_color = 1).

    Args:
        reconstruction: ``(B, 3, S, S)`` decoder output in ``(0, 1)``.
        target: ``(B, 3, S, S)`` the (colour-jittered) input crops in ``[0, 1]``.
    """
    return 0.5 * (reconstruction - target).square().sum(dim=(1, 2, 3)).mean()


def image_gradients(images: Tensor) -> tuple[Tensor, Tensor]:
    """Forward differences of ``(B, C, H, W)`` images along x and y: ``(B, C, H, W-1)`` and ``(B, C, H-1, W)``."""
    return images[..., :, 1:] - images[..., :, :-1], images[..., 1:, :] - images[..., :-1, :]


def gradient_difference_loss(decoded: Tensor, target: Tensor) -> Tensor:
    """Mean L1 between the image gradients of ``decoded`` and ``target`` ``(B, C, H, W)`` (the gradient
    difference loss of Mathieu et al. 2016): zero when their edges agree; a blurred edge (weak, wide gradients)
    costs here what a pixel loss forgives."""
    (dx, dy), (tx, ty) = image_gradients(decoded), image_gradients(target)
    return 0.5 * ((dx - tx).abs().mean() + (dy - ty).abs().mean())


def weight_decay_loss(named_parameters: Iterable[tuple[str, nn.Parameter]]) -> Tensor:
    """``0.5 sum |W|^2`` over conv and linear weights and BatchNorm scales; biases and BN shifts excluded."""
    terms = [p.square().sum() for name, p in named_parameters if name.endswith("weight")]
    return torch.stack(terms).sum() * 0.5


def sample_flow(flow: Tensor, points: Tensor) -> Tensor:
    """Bilinear flow ``(B, 2, S, S)`` (normalised units) at normalised points ``(B, K, 2)``; border clamped."""
    grid = (points * 2.0 - 1.0).unsqueeze(2)  # (B, K, 1, 2)
    values = torch.nn.functional.grid_sample(flow, grid, mode="bilinear", padding_mode="border", align_corners=False)
    return values.squeeze(-1).transpose(1, 2)  # (B, K, 2)


def flow_equivariance_loss(
    points: Tensor, next_points: Tensor, backward_flow: Tensor, crop_size: int, padded_size: int
) -> Tensor:
    """Equivariance with optical flow as the warp (App. C): ``|l' + F(l') - l|^2``, in the units of
    :func:`equivariance_loss`.

    Args:
        points: ``(B, K, 2)`` landmarks of frame t (crop frame).
        next_points: ``(B, K, 2)`` landmarks of frame t + gap.
        backward_flow: ``(B, 2, S, S)`` flow from frame t + gap back to frame t, normalised crop units.
    """
    back = next_points + sample_flow(backward_flow, next_points)
    return 4.0 * crop_size / padded_size * (back - points).square().sum(dim=(1, 2)).mean()


def flow_preference_loss(points: Tensor, flow: Tensor, sigma: float = 1.0 / 16.0) -> Tensor:
    """Prefer landmarks where things move (eq. 16): ``-mean_k sum_u O~(u) G_k(u)``.

    ``O~`` is the flow energy ``|F|^2`` divided by its mean over the image, ``G_k`` a Gaussian of ``sigma``
    around landmark k normalised to sum 1, so the loss is -1 for landmarks on average motion and lower on
    strong motion (lmsdk's scale-free normalisation of eq. 16; see docs/decisions.md).

    Args:
        points: ``(B, K, 2)`` landmarks (crop frame).
        flow: ``(B, 2, S, S)`` flow from this frame to the other one, normalised units.
    """
    from lmsdk.ops.coords import normalized_grid

    size = flow.shape[-1]
    energy = flow.square().sum(dim=1)  # (B, S, S)
    energy = energy / (energy.mean(dim=(1, 2), keepdim=True) + 1e-12)
    grid = normalized_grid(size, size, device=flow.device, dtype=flow.dtype)
    d2 = (grid.view(1, 1, size, size, 2) - points.view(*points.shape[:2], 1, 1, 2)).square().sum(-1)
    weights = torch.softmax(-d2.flatten(2) / (2 * sigma**2), dim=-1).view_as(d2)  # each sums to 1
    return -(weights * energy.unsqueeze(1)).sum(dim=(2, 3)).mean()


def weighted_sum(terms: dict[str, Tensor], weights: dict[str, float]) -> Tensor:
    """``sum(weights[name] * terms[name])`` over ``terms``, added in their order (a scalar tensor)."""
    names = iter(terms)
    first = next(names)
    total = weights[first] * terms[first]
    for name in names:
        total = total + weights[name] * terms[name]
    return total
