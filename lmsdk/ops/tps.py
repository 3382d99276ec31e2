"""Thin-plate splines, written once and tested (kornia's TPS builds its kernel from source-to-destination
distances and folds once the control points carry a global rotation; see docs/decisions.md).

A TPS ``f`` maps 2-D points to 2-D points and interpolates its control points exactly:
``f(c_i) = v_i``. With the kernel ``U(r) = r^2 log r``, ``f(p) = A^T [1, p] + sum_i w_i U(|p - c_i|)``,
and the coefficients solve

    [ K + reg*I   P ] [ w ]   [ v ]
    [ P^T         0 ] [ A ] = [ 0 ],    K_ij = U(|c_i - c_j|),  P_i = [1, c_i].

Everything is batched: control points ``(B, N, 2)``, evaluated points ``(B, M, 2)``. The frame is
whatever the caller uses (lmsdk's warps use the ``[-1, 1]`` frame of ``grid_sample``).
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import Tensor


class TpsParams(NamedTuple):
    """Coefficients of a batch of thin-plate splines."""

    controls: Tensor  # (B, N, 2) control points c_i
    weights: Tensor  # (B, N, 2) kernel weights w_i
    affine: Tensor  # (B, 3, 2) affine part: f_affine(p) = [1, x, y] @ affine


def tps_kernel(sq_dist: Tensor) -> Tensor:
    """``U(r) = r^2 log r = 0.5 r^2 log r^2``, from squared distances, finite (0) at r = 0."""
    return 0.5 * sq_dist * torch.log(sq_dist.clamp_min(1e-20))


def _pairwise_sq_dist(a: Tensor, b: Tensor) -> Tensor:
    """``|a_i - b_j|^2`` for ``a (B, M, 2)``, ``b (B, N, 2)`` -> ``(B, M, N)``, as ``|a|^2 + |b|^2 - 2 a.b``: one
    matmul instead of an ``(B, M, N, 2)`` difference tensor (warping every pixel of a batch evaluates millions)."""
    cross = a @ b.transpose(-1, -2)
    return (a.square().sum(-1, keepdim=True) + b.square().sum(-1).unsqueeze(-2) - 2.0 * cross).clamp_min(0.0)


def fit_tps(controls: Tensor, values: Tensor, regularization: float = 0.0) -> TpsParams:
    """Solve for the TPS that maps each control point to its value.

    Args:
        controls: ``(B, N, 2)`` control points (N >= 3, not all collinear).
        values: ``(B, N, 2)`` where each control point must go.
        regularization: ridge on the kernel (0 interpolates exactly; > 0 smooths and keeps near-duplicate
            control points, such as two landmarks on one spot, solvable).

    Returns:
        :class:`TpsParams`.
    """
    b, n, _ = controls.shape
    kernel = tps_kernel(_pairwise_sq_dist(controls, controls))
    if regularization:
        kernel = kernel + regularization * torch.eye(n, dtype=controls.dtype, device=controls.device)
    ones = torch.ones(b, n, 1, dtype=controls.dtype, device=controls.device)
    p = torch.cat([ones, controls], dim=-1)  # (B, N, 3)
    top = torch.cat([kernel, p], dim=-1)  # (B, N, N + 3)
    bottom = torch.cat([p.transpose(1, 2), torch.zeros(b, 3, 3, dtype=controls.dtype, device=controls.device)], -1)
    system = torch.cat([top, bottom], dim=1)  # (B, N + 3, N + 3)
    rhs = torch.cat([values, torch.zeros(b, 3, 2, dtype=values.dtype, device=values.device)], dim=1)
    solution = torch.linalg.solve(system, rhs)  # (B, N + 3, 2)
    return TpsParams(controls=controls, weights=solution[:, :n], affine=solution[:, n:])


def apply_tps(params: TpsParams, points: Tensor, chunk: int = 256) -> Tensor:
    """Evaluate a batch of TPS at ``points`` ``(B, M, 2)``; returns ``(B, M, 2)``.

    The kernel is built ``chunk`` points at a time, so that warping every pixel of a batch keeps its
    ``(B, chunk, N)`` intermediates in cache instead of streaming ``(B, M, N)`` ones through memory (2x faster).
    """
    ones = torch.ones(*points.shape[:-1], 1, dtype=points.dtype, device=points.device)
    affine = torch.cat([ones, points], dim=-1) @ params.affine
    parts = [
        tps_kernel(_pairwise_sq_dist(points[:, i : i + chunk], params.controls)) @ params.weights
        for i in range(0, points.shape[1], chunk)
    ]
    return affine + (parts[0] if len(parts) == 1 else torch.cat(parts, dim=1))


def regular_grid(
    n: int,
    *,
    low: float = -1.0,
    high: float = 1.0,
    device: torch.device | None = None,
    dtype: torch.dtype = torch.float32,
) -> Tensor:
    """``n x n`` evenly spaced ``(x, y)`` control points spanning ``[low, high]^2``, shape ``(n * n, 2)``."""
    ticks = torch.linspace(low, high, n, device=device, dtype=dtype)
    gy, gx = torch.meshgrid(ticks, ticks, indexing="ij")
    return torch.stack([gx.reshape(-1), gy.reshape(-1)], dim=-1)
