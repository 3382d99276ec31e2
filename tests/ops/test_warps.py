import torch

from lmsdk.ops import (
    WarpConfig,
    identity_warp,
    normalized_grid,
    sample_warp,
    soft_argmax,
    warp_images,
    warp_points,
)


def test_identity_warp_is_identity():
    images = torch.rand(2, 3, 24, 24, dtype=torch.float64)
    warp = identity_warp(2, dtype=torch.float64)
    assert torch.allclose(warp_images(images, warp), images, atol=1e-9)
    p = torch.rand(2, 9, 2, dtype=torch.float64)
    assert torch.allclose(warp_points(warp, p), p, atol=1e-12)


def test_warps_are_seeded_and_on_cpu_stream():
    a = sample_warp(3, WarpConfig(), generator=torch.Generator().manual_seed(5))
    b = sample_warp(3, WarpConfig(), generator=torch.Generator().manual_seed(5))
    assert torch.equal(a.affine, b.affine) and torch.equal(a.grid_tps.weights, b.grid_tps.weights)


def test_warped_image_content_follows_warp_points():
    # A blob at g(q) in the source appears at q in the warped image: soft-argmax recovers q.
    g = torch.Generator().manual_seed(3)
    warp = sample_warp(4, WarpConfig(), generator=g, dtype=torch.float64)
    q = torch.rand(4, 1, 2, generator=g, dtype=torch.float64) * 0.3 + 0.35  # where the blob lands
    source_pos = warp_points(warp, q)
    grid = normalized_grid(128, 128, dtype=torch.float64)
    d2 = (grid.view(1, 1, 128, 128, 2) - source_pos.view(4, 1, 1, 1, 2)).square().sum(-1)
    source = torch.exp(-d2 / (2 * 0.006**2))  # a sharp blob: its centroid barely moves under a smooth warp
    warped = warp_images(source, warp)
    assert (soft_argmax(warped) - q).abs().max() < 2e-3  # a quarter pixel: bilinear resampling


def test_similarity_statistics_match_config():
    cfg = WarpConfig()
    warp = sample_warp(600, cfg, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    a = warp.affine
    scale = torch.linalg.det(a[:, :, :2]).sqrt()
    angle = torch.atan2(a[:, 0, 1], a[:, 0, 0])
    assert abs(scale.log().std().item() - cfg.log_scale_std) < 0.02
    assert abs(torch.rad2deg(angle).std().item() - cfg.rotation_std_deg) < 1.0
    assert a[:, :, 2].abs().max() <= 2 * cfg.translation + 1e-9


def test_landmark_control_points_are_used_per_sample():
    g = torch.Generator().manual_seed(0)
    landmarks = torch.rand(64, 5, 2) * 1.2 - 0.6
    warp = sample_warp(64, WarpConfig(), generator=g, landmarks=landmarks, landmark_probability=0.5)
    assert warp.landmark_tps is not None
    frac = warp.use_landmarks.float().mean().item()
    assert 0.3 < frac < 0.7
