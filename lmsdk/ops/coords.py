"""The coordinate convention and colour rule of lmsdk, written once (the numpy twin is ``lmsdk.geometry``).

Convention:
    * Points are ``(x, y)``: x to the right, y down, always in this order (the original TF code stores
      (y, x); lmsdk never does).
    * **Normalised** coordinates are in ``[0, 1]`` over an image (or crop) of width W and height H,
      measured from its outer edge: the centre of pixel column ``i`` sits at ``(i + 0.5) / W``.
    * **Pixel** coordinates follow OpenCV: the centre of pixel column ``i`` is ``x = i``, so
      ``x_pixel = x_norm * W - 0.5``.
    * The model sees a square **crop** of side S (e.g. 80) that is padded to side P (e.g. 96) with the
      crop centred. Landmarks are reported in the crop's normalised frame; the detector's soft-argmax
      works in the padded frame: ``x_crop = (x_padded - 0.5) * P / S + 0.5``.
    * ``torch.nn.functional.grid_sample`` with ``align_corners=False`` addresses the same frame as
      normalised coordinates through ``g = 2 * x_norm - 1``.

Colour: images inside lmsdk are RGB (datasets, the trainer, the networks: float in ``[0, 1]``, NCHW; the
exported graphs' inputs and outputs); images at the runtime's public boundary are OpenCV BGR uint8. The swap
happens only there and at image and video files, with ``lmsdk.geometry.bgr_to_rgb`` / ``rgb_to_bgr``.
"""

from __future__ import annotations

import torch
from torch import Tensor


def pixel_centers(size: int, *, device: torch.device | None = None, dtype: torch.dtype = torch.float32) -> Tensor:
    """Normalised coordinates of the pixel centres along one axis: ``(i + 0.5) / size``, shape ``(size,)``."""
    return (torch.arange(size, device=device, dtype=dtype) + 0.5) / size


def normalized_grid(
    height: int, width: int, *, device: torch.device | None = None, dtype: torch.dtype = torch.float32
) -> Tensor:
    """Normalised ``(x, y)`` of every pixel centre, shape ``(H, W, 2)``."""
    ys = pixel_centers(height, device=device, dtype=dtype)
    xs = pixel_centers(width, device=device, dtype=dtype)
    gy, gx = torch.meshgrid(ys, xs, indexing="ij")
    return torch.stack([gx, gy], dim=-1)


def padded_to_crop(points: Tensor, crop_size: int, padded_size: int) -> Tensor:
    """Map normalised points ``(..., 2)`` from the padded frame (side P) to the centred crop (side S)."""
    return (points - 0.5) * (padded_size / crop_size) + 0.5


def crop_to_padded(points: Tensor, crop_size: int, padded_size: int) -> Tensor:
    """Map normalised points ``(..., 2)`` from the centred crop (side S) to the padded frame (side P)."""
    return (points - 0.5) * (crop_size / padded_size) + 0.5


def to_grid_sample(points: Tensor) -> Tensor:
    """Normalised ``[0, 1]`` points to the ``[-1, 1]`` frame of ``grid_sample(align_corners=False)``."""
    return points * 2.0 - 1.0


def from_grid_sample(points: Tensor) -> Tensor:
    """Inverse of :func:`to_grid_sample`."""
    return (points + 1.0) * 0.5


def normalized_to_pixels(points: Tensor, width: int, height: int) -> Tensor:
    """Normalised ``(..., 2)`` points to OpenCV pixel coordinates of a ``width x height`` image."""
    scale = points.new_tensor([width, height])
    return points * scale - 0.5


def pixels_to_normalized(points: Tensor, width: int, height: int) -> Tensor:
    """OpenCV pixel coordinates ``(..., 2)`` to normalised coordinates of a ``width x height`` image."""
    scale = points.new_tensor([width, height])
    return (points + 0.5) / scale
