"""Crop boxes: cut a square region out of an image, resize it, and carry keypoints along.

A :class:`Box` is given in continuous pixel-edge coordinates (the image spans ``[0, W] x [0, H]``).
Keypoints go from OpenCV pixel coordinates of the source image to normalised coordinates of the crop
through :mod:`lmsdk.ops.coords`, the single statement of the convention.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import cv2
import numpy as np
import torch

from lmsdk.errors import DataError
from lmsdk.ops.coords import pixels_to_normalized


@dataclass(frozen=True)
class Box:
    """An axis-aligned region in pixel-edge coordinates; not necessarily square (CelebA squashes)."""

    left: float
    top: float
    width: float
    height: float

    @staticmethod
    def centered_square(image_width: int, image_height: int, fraction: float = 1.0) -> Box:
        """The largest centred square, shrunk to ``fraction`` of its side."""
        side = min(image_width, image_height) * fraction
        return Box((image_width - side) / 2, (image_height - side) / 2, side, side)

    @staticmethod
    def around(center_x: float, center_y: float, side: float) -> Box:
        """A square of ``side`` centred on pixel-edge point ``(center_x, center_y)``."""
        return Box(center_x - side / 2, center_y - side / 2, side, side)


def crop_resize(image: np.ndarray, box: Box, size: int) -> np.ndarray:
    """Cut ``box`` out of ``image`` (HxWxC) and resize it to ``size x size``; outside pixels replicate the edge.

    Downscaling by more than 2 first area-averages, so small crops of large photos do not alias.
    """
    h, w = image.shape[:2]
    sx, sy = box.width / size, box.height / size
    src = image
    pre = int(min(sx, sy) // 2)
    if pre >= 1:  # anti-alias: shrink the whole image first, then sample the box
        f = 1.0 / (2 * pre)
        src = cv2.resize(image, (max(1, round(w * f)), max(1, round(h * f))), interpolation=cv2.INTER_AREA)
        box = Box(
            box.left * src.shape[1] / w,
            box.top * src.shape[0] / h,
            box.width * src.shape[1] / w,
            box.height * src.shape[0] / h,
        )
        sx, sy = box.width / size, box.height / size
    # Output pixel centre (i + 0.5) maps to source edge coordinate box.left + (i + 0.5) * sx,
    # i.e. OpenCV source pixel box.left + (i + 0.5) * sx - 0.5.
    matrix = np.array([[sx, 0, box.left + 0.5 * sx - 0.5], [0, sy, box.top + 0.5 * sy - 0.5]], np.float64)
    return cv2.warpAffine(
        src, matrix, (size, size), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_REPLICATE
    )


def keypoints_to_crop(points: np.ndarray, box: Box) -> np.ndarray:
    """OpenCV pixel coordinates ``(P, 2)`` of the source image -> normalised coordinates of the crop."""
    shifted = torch.from_numpy(np.asarray(points, np.float64) - np.array([box.left, box.top]))
    return pixels_to_normalized(shifted, box.width, box.height).numpy().astype(np.float32)


def read_image_rgb(path: str) -> np.ndarray:
    """Read an image file as HxWx3 uint8 RGB; raises :class:`~lmsdk.errors.DataError` naming the file."""
    if not os.path.isfile(path):
        raise DataError(f"{path}: image file not found")
    data = np.fromfile(path, dtype=np.uint8)
    image = cv2.imdecode(data, cv2.IMREAD_COLOR)
    if image is None:
        raise DataError(f"{path}: not a readable image (corrupt, truncated or an unsupported format)")
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
