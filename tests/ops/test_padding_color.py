import torch

from lmsdk.ops import JitterConfig, border_mean, color_jitter, mean_edge_pad


def test_mean_edge_pad_centres_the_crop_and_fills_with_border_mean():
    crops = torch.rand(2, 3, 8, 8)
    padded = mean_edge_pad(crops, 12)
    assert padded.shape == (2, 3, 12, 12)
    assert torch.equal(padded[:, :, 2:10, 2:10], crops)
    mean = border_mean(crops)
    assert torch.allclose(padded[:, :, 0, 0], mean[:, :, 0, 0])
    assert torch.allclose(padded[:, :, 11, 5], mean[:, :, 0, 0])


def test_border_mean_counts_each_border_pixel_once():
    image = torch.zeros(1, 1, 4, 4)
    image[..., 0, 0] = 12.0  # a corner
    assert border_mean(image).item() == 1.0  # 12 border pixels


def test_padding_rejects_odd_margins():
    import pytest

    with pytest.raises(ValueError, match="even"):
        mean_edge_pad(torch.rand(1, 3, 8, 8), 11)


def test_color_jitter_once_per_batch_and_clipped():
    g = torch.Generator().manual_seed(0)
    images = torch.rand(4, 3, 6, 6)
    out = color_jitter(images, JitterConfig(contrast=(1.0, 1.0)), g)
    shift = (out - images).mean(dim=(1, 2, 3))
    unclipped = (out > 0) & (out < 1)
    assert out.min() >= 0 and out.max() <= 1
    # One brightness draw for the whole batch: every unclipped pixel moved by the same amount.
    deltas = (out - images)[unclipped]
    assert torch.allclose(deltas, deltas[0].expand_as(deltas), atol=1e-6)
    assert shift.abs().max() <= 32 / 255 + 1e-6


def test_color_jitter_contrast_scales_around_the_mean():
    g = torch.Generator().manual_seed(1)
    images = torch.full((1, 3, 4, 4), 0.5)
    images[..., 0, 0] = 0.6
    out = color_jitter(images, JitterConfig(brightness=0.0, contrast=(2.0, 2.0)), g)
    mean = images.mean(dim=(-2, -1), keepdim=True)
    assert torch.allclose(out, (images - mean) * 2 + mean)
