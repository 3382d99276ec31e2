import math

import pytest
import torch

from lmsdk.ops import apply_tps, fit_tps, regular_grid


def test_identity_tps_is_identity():
    c = regular_grid(4, dtype=torch.float64).expand(2, -1, -1)
    params = fit_tps(c, c)
    assert torch.allclose(params.weights, torch.zeros_like(params.weights), atol=1e-12)
    assert torch.allclose(params.affine, torch.tensor([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]], dtype=torch.float64))
    p = torch.rand(2, 50, 2, dtype=torch.float64) * 2 - 1
    assert torch.allclose(apply_tps(params, p), p, atol=1e-12)


def test_affine_controls_give_zero_kernel_and_exact_affine_map():
    c = regular_grid(5, dtype=torch.float64).unsqueeze(0)
    a = torch.tensor([[1.2, 0.3], [-0.2, 0.9]], dtype=torch.float64)
    t = torch.tensor([0.1, -0.05], dtype=torch.float64)
    params = fit_tps(c, c @ a.T + t)
    assert params.weights.abs().max() < 1e-10
    p = torch.rand(1, 30, 2, dtype=torch.float64) * 2 - 1
    assert torch.allclose(apply_tps(params, p), p @ a.T + t, atol=1e-10)


def test_tps_interpolates_controls():
    g = torch.Generator().manual_seed(0)
    c = regular_grid(7, dtype=torch.float64).expand(3, -1, -1)
    v = c + torch.randn(c.shape, generator=g, dtype=torch.float64) * 0.1
    assert torch.allclose(apply_tps(fit_tps(c, v), c), v, atol=1e-9)


@pytest.mark.parametrize(("noise", "tolerance"), [(0.0, 1e-9), (0.01, 5e-3)])
def test_tps_with_rotation_round_trips_without_folding(noise, tolerance):
    # kornia's TPS folds once the controls include a global rotation (a dot mapped through it and back
    # lands up to 97% of the image away); ours must invert cleanly: fit f: c -> v and h: v -> c, then
    # h(f(p)) = p for points inside the grid (exactly for a pure similarity).
    g = torch.Generator().manual_seed(1)
    c = regular_grid(7, dtype=torch.float64).unsqueeze(0)
    angle = math.radians(25)
    cos, sin = math.cos(angle), math.sin(angle)
    rot = torch.tensor([[cos, -sin], [sin, cos]], dtype=torch.float64)
    v = c @ rot.T * 1.2 + 0.1 + torch.randn(c.shape, generator=g, dtype=torch.float64) * noise
    f, h = fit_tps(c, v), fit_tps(v, c)
    p = torch.rand(1, 400, 2, generator=g, dtype=torch.float64) * 1.6 - 0.8
    assert (apply_tps(h, apply_tps(f, p)) - p).norm(dim=-1).max() < tolerance


def test_regularised_fit_survives_coincident_controls():
    c = torch.tensor([[[0.0, 0.0], [0.0, 0.0], [0.5, 0.1], [-0.3, 0.4]]], dtype=torch.float64)
    params = fit_tps(c, c + 0.01, regularization=1e-3)
    assert torch.isfinite(params.weights).all()


def test_gradcheck_tps():
    c = regular_grid(3, dtype=torch.float64).unsqueeze(0)
    v = (c + 0.05 * torch.randn(c.shape, dtype=torch.float64)).requires_grad_(True)
    p = (torch.rand(1, 5, 2, dtype=torch.float64) * 1.5 - 0.75).requires_grad_(True)
    assert torch.autograd.gradcheck(lambda vv, pp: apply_tps(fit_tps(c, vv), pp), (v, p))
