import torch

from lmsdk.ops import coords


def test_pixel_centers_are_half_pixel_offsets():
    assert torch.allclose(coords.pixel_centers(4), torch.tensor([0.125, 0.375, 0.625, 0.875]))


def test_normalized_grid_is_xy_ordered():
    grid = coords.normalized_grid(2, 3)
    assert grid.shape == (2, 3, 2)
    assert torch.allclose(grid[0, 2], torch.tensor([5 / 6, 0.25]))  # x varies along width


def test_padded_crop_round_trip_and_fixed_points():
    p = torch.rand(5, 7, 2, dtype=torch.float64)
    assert torch.allclose(coords.crop_to_padded(coords.padded_to_crop(p, 80, 96), 80, 96), p, atol=1e-12)
    # The crop's corners sit 8 px inside the padded frame; the centre is fixed.
    corner = coords.crop_to_padded(torch.tensor([[0.0, 1.0]]), 80, 96)
    assert torch.allclose(corner, torch.tensor([[8 / 96, 88 / 96]]))
    assert torch.allclose(coords.padded_to_crop(torch.tensor([[0.5, 0.5]]), 80, 96), torch.tensor([[0.5, 0.5]]))


def test_pixels_follow_opencv_centres():
    # Pixel 0's centre is x = 0 in OpenCV coordinates and 0.5 / W normalised.
    assert torch.allclose(coords.pixels_to_normalized(torch.tensor([[0.0, 9.0]]), 10, 10), torch.tensor([[0.05, 0.95]]))
    p = torch.rand(3, 2, dtype=torch.float64)
    assert torch.allclose(coords.pixels_to_normalized(coords.normalized_to_pixels(p, 64, 48), 64, 48), p)


def test_grid_sample_frame_matches_pixel_centres():
    # Sampling an image at a pixel centre's grid_sample coordinate returns that pixel exactly.
    image = torch.arange(12.0).view(1, 1, 3, 4)
    centre = coords.to_grid_sample(coords.pixels_to_normalized(torch.tensor([[2.0, 1.0]]), 4, 3))
    value = torch.nn.functional.grid_sample(image, centre.view(1, 1, 1, 2), align_corners=False)
    assert value.item() == image[0, 0, 1, 2].item()
    assert torch.allclose(coords.from_grid_sample(coords.to_grid_sample(centre)), centre)
