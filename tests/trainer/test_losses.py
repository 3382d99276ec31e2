import math

import torch

from lmsdk.ops import WarpConfig, identity_warp, sample_warp, warp_points
from lmsdk.ops.coords import crop_to_padded, padded_to_crop
from lmsdk.trainer.losses import (
    concentration_loss,
    equivariance_loss,
    gradient_difference_loss,
    reconstruction_loss,
    separation_loss,
    weight_decay_loss,
)


def test_concentration_is_exp_entropy_of_mean_std():
    spread = torch.tensor([[[0.1, 0.3], [0.2, 0.2]]])
    expected = 2 * math.pi * math.e * (0.2**2 + 0.2**2)
    assert torch.allclose(concentration_loss(spread), torch.tensor(expected))
    assert concentration_loss(spread * 0.5) < concentration_loss(spread)


def test_separation_counts_ordered_pairs_and_decays_with_distance():
    same = torch.zeros(1, 3, 2)
    assert torch.allclose(separation_loss(same, 0.1), torch.tensor(6.0))  # 3 * 2 ordered pairs
    near = torch.tensor([[[0.5, 0.5], [0.55, 0.5]]])
    far = torch.tensor([[[0.2, 0.5], [0.8, 0.5]]])
    assert separation_loss(far, 0.08) < separation_loss(near, 0.08)
    assert torch.allclose(separation_loss(near, 0.08), 2 * torch.exp(torch.tensor(-(0.05**2) / (2 * 0.08**2))))


def test_equivariance_is_zero_under_an_exact_warp_and_positive_otherwise():
    g = torch.Generator().manual_seed(0)
    warp = sample_warp(4, WarpConfig(), generator=g, dtype=torch.float64)
    warped_points = torch.rand(4, 5, 2, generator=g, dtype=torch.float64) * 0.6 + 0.2
    # The landmarks of the source image are exactly where the warp sends the warped image's landmarks.
    source_points = padded_to_crop(warp_points(warp, crop_to_padded(warped_points, 80, 96)), 80, 96)
    assert equivariance_loss(source_points, warped_points, warp, 80, 96).abs() < 1e-20
    assert equivariance_loss(source_points + 0.01, warped_points, warp, 80, 96) > 0


def test_equivariance_units_match_the_released_code():
    # Identity warp, a 0.1 shift in crop units: released code = |0.1 * 2 * 80/96|^2 / (80/96) = 4*0.01*80/96.
    warp = identity_warp(1, dtype=torch.float64)
    p = torch.full((1, 1, 2), 0.5, dtype=torch.float64)
    q = p + torch.tensor([0.1, 0.0], dtype=torch.float64)
    assert torch.allclose(equivariance_loss(p, q, warp, 80, 96), torch.tensor(4 * 0.01 * 80 / 96, dtype=torch.float64))


def test_equivariance_gradients_flow_through_both_branches():
    warp = sample_warp(2, WarpConfig(), generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    p = torch.rand(2, 3, 2, dtype=torch.float64, requires_grad=True)
    q = torch.rand(2, 3, 2, dtype=torch.float64, requires_grad=True)
    equivariance_loss(p, q, warp, 80, 96).backward()
    assert p.grad.abs().sum() > 0 and q.grad.abs().sum() > 0
    assert torch.autograd.gradcheck(lambda a, b: equivariance_loss(a, b, warp, 80, 96), (p, q))


def test_reconstruction_is_half_sum_of_squares_mean_over_batch():
    a, b = torch.zeros(2, 3, 4, 4), torch.full((2, 3, 4, 4), 0.5)
    assert torch.allclose(reconstruction_loss(a, b), torch.tensor(0.5 * 48 * 0.25))


def test_gradient_difference_is_zero_for_the_same_edges_and_charges_a_blurred_edge():
    sharp = torch.zeros(1, 1, 8, 8)
    sharp[..., 4:] = 1.0  # a vertical step edge: one x-difference of 1 per row
    blurred = sharp.clone()
    blurred[..., 3], blurred[..., 4] = 1 / 3, 2 / 3  # the same edge spread over three columns
    assert gradient_difference_loss(sharp, sharp + 0.25) == 0  # a brightness offset has the same edges
    # x-differences: sharp 0,0,0,1,0,0,0; blurred 0,0,1/3,1/3,1/3,0,0 -> |diff| sums to 4/3 over 7 per row
    assert torch.isclose(gradient_difference_loss(blurred, sharp), torch.tensor(0.5 * (4 / 3) / 7))
    # a pixel loss prefers the blur to the offset
    assert reconstruction_loss(blurred, sharp) < reconstruction_loss(sharp + 0.25, sharp)


def test_weight_decay_covers_weights_and_bn_scales_not_biases():
    bn = torch.nn.BatchNorm2d(2)
    conv = torch.nn.Conv2d(1, 2, 1, bias=True)
    with torch.no_grad():
        conv.weight.fill_(1.0)
        conv.bias.fill_(10.0)
        bn.weight.fill_(2.0)
        bn.bias.fill_(10.0)
    named = list(conv.named_parameters()) + [("bn." + n, p) for n, p in bn.named_parameters()]
    assert torch.allclose(weight_decay_loss(named), torch.tensor(0.5 * (2 * 1.0 + 2 * 4.0)))
