import math

import pytest
import torch

from lmsdk.ops import render_gaussians, soft_argmax, spatial_spread


def _gaussian_maps(points, sigma, size):
    from lmsdk.ops.coords import normalized_grid

    grid = normalized_grid(size, size, dtype=points.dtype)
    d2 = (grid.view(1, 1, size, size, 2) - points.view(*points.shape[:2], 1, 1, 2)).square().sum(-1)
    return torch.exp(-d2 / (2 * sigma**2))


def test_soft_argmax_of_rendered_gaussian_is_its_centre():
    points = torch.rand(4, 6, 2, dtype=torch.float64) * 0.5 + 0.25
    maps = _gaussian_maps(points, 0.03, 96)
    assert torch.allclose(soft_argmax(maps), points, atol=1e-6)


def test_soft_argmax_of_decoder_heatmaps_recovers_points():
    points = torch.tensor([[[0.3, 0.4], [0.7, 0.6]]], dtype=torch.float64)
    maps = render_gaussians(points, 0.05, 80, "paper")[:, :-1]
    # Normalising across channels leaves each map peaked at its own landmark.
    assert torch.allclose(soft_argmax(maps), points, atol=5e-3)


def test_spread_of_gaussian_is_sigma():
    points = torch.full((1, 1, 2), 0.5, dtype=torch.float64)
    maps = _gaussian_maps(points, 0.05, 128)
    spread = spatial_spread(maps, soft_argmax(maps))
    assert torch.allclose(spread, torch.full_like(spread, 0.05), rtol=1e-3)


def test_single_pixel_map_has_finite_gradient():
    logits = torch.full((1, 2, 8, 8), -30.0, dtype=torch.float64)
    logits[0, 0, 3, 4] = 30.0
    logits.requires_grad_(True)
    probs = torch.softmax(logits, dim=1)[:, :1]
    spread = spatial_spread(probs, soft_argmax(probs))
    spread.sum().backward()
    assert torch.isfinite(logits.grad).all()


@pytest.mark.parametrize("normalization", ["original", "paper"])
def test_rendered_maps_sum_to_one_with_background_last(normalization):
    points = torch.rand(3, 5, 2)
    maps = render_gaussians(points, 0.125, 40, normalization)
    assert maps.shape == (3, 6, 40, 40)
    assert torch.allclose(maps.sum(1), torch.ones(3, 40, 40), atol=1e-5)


def test_original_normalisation_matches_the_released_formula():
    # raw_k = exp(-d^2 / 2 s^2) / (2 pi s^4 (HW)^2), background 1 / (HW), normalised over channels.
    size, sigma = 20, 0.125
    point = torch.tensor([[[0.3, 0.6]]], dtype=torch.float64)
    maps = render_gaussians(point, sigma, size, "original")
    from lmsdk.ops.coords import normalized_grid

    d2 = (normalized_grid(size, size, dtype=torch.float64) - point[0, 0]).square().sum(-1)
    raw = torch.exp(-d2 / (2 * sigma**2)) / (2 * math.pi * sigma**4 * (size * size) ** 2)
    expected = raw / (raw + 1 / (size * size))
    assert torch.allclose(maps[0, 0], expected, atol=1e-12)


def test_paper_normalisation_is_density_against_one():
    point = torch.tensor([[[0.5, 0.5]]], dtype=torch.float64)
    maps = render_gaussians(point, 0.1, 10, "paper")
    d2 = torch.tensor(0.05**2 * 2, dtype=torch.float64)  # pixel (4, 4) centre is 0.05 from 0.5 on each axis
    density = torch.exp(-d2 / (2 * 0.1**2)) / (2 * math.pi * 0.1**2)
    assert torch.allclose(maps[0, 0, 4, 4], density / (density + 1))


def test_gradcheck_soft_argmax_and_spread():
    w = torch.rand(2, 3, 6, 6, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(soft_argmax, (w,))
    assert torch.autograd.gradcheck(lambda x: spatial_spread(x, soft_argmax(x)), (w,))


def test_gradcheck_render_gaussians():
    p = (torch.rand(2, 3, 2, dtype=torch.float64) * 0.6 + 0.2).requires_grad_(True)
    for norm in ("original", "paper"):
        assert torch.autograd.gradcheck(lambda x, n=norm: render_gaussians(x, 0.2, 6, n), (p,))
