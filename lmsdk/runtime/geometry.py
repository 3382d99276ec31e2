"""The numpy twin of :mod:`lmsdk.ops.coords`, and the crop geometry shared by training and the runtime.

Convention (the same as ``lmsdk.ops.coords``): points are ``(x, y)``; normalised coordinates are in
``[0, 1]`` over an image or crop with the centre of pixel column ``i`` at ``(i + 0.5) / W``; pixel
coordinates follow OpenCV (pixel ``i``'s centre is ``x = i``). A :class:`Box` is in pixel-edge
coordinates (an image spans ``[0, W] x [0, H]``).

Training (``lmsdk.data``) crops with these very functions, so the runtime's preprocessing is not a
re-implementation of the training transform: it is the same code.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


def pixels_to_normalized(points: np.ndarray, width: float, height: float) -> np.ndarray:
    """OpenCV pixel coordinates ``(..., 2)`` -> normalised coordinates of a ``width x height`` image."""
    return (np.asarray(points, np.float64) + 0.5) / np.array([width, height], np.float64)


def normalized_to_pixels(points: np.ndarray, width: float, height: float) -> np.ndarray:
    """Normalised coordinates ``(..., 2)`` -> OpenCV pixel coordinates of a ``width x height`` image."""
    return np.asarray(points, np.float64) * np.array([width, height], np.float64) - 0.5


@dataclass(frozen=True)
class Box:
    """An axis-aligned region of an image in pixel-edge coordinates (not necessarily square)."""

    left: float
    top: float
    width: float
    height: float

    @staticmethod
    def centered_square(image_width: float, image_height: float, fraction: float = 1.0) -> Box:
        """The largest centred square of an image, shrunk to ``fraction`` of its side."""
        side = min(image_width, image_height) * fraction
        return Box((image_width - side) / 2, (image_height - side) / 2, side, side)

    @staticmethod
    def around(center_x: float, center_y: float, side: float) -> Box:
        """A square of ``side`` centred on the pixel-edge point ``(center_x, center_y)``."""
        return Box(center_x - side / 2, center_y - side / 2, side, side)

    @staticmethod
    def from_xyxy(x0: float, y0: float, x1: float, y1: float) -> Box:
        return Box(x0, y0, x1 - x0, y1 - y0)

    def to_xyxy(self) -> tuple[float, float, float, float]:
        return (self.left, self.top, self.left + self.width, self.top + self.height)

    @property
    def center(self) -> tuple[float, float]:
        return (self.left + self.width / 2, self.top + self.height / 2)

    def scaled(self, factor: float) -> Box:
        """The same centre, sides times ``factor``."""
        cx, cy = self.center
        return Box(
            cx - self.width * factor / 2, cy - self.height * factor / 2, self.width * factor, self.height * factor
        )


def crop_resize(image: np.ndarray, box: Box, size: int) -> np.ndarray:
    """Cut ``box`` out of an HxWxC image and resize it to ``size x size``; outside pixels replicate the edge.

    Bilinear; when shrinking by 2x or more the image is first area-averaged so small crops of large
    photos do not alias.
    """
    h, w = image.shape[:2]
    sx, sy = box.width / size, box.height / size
    src = image
    pre = int(min(sx, sy) // 2)
    if pre >= 1:
        f = 1.0 / (2 * pre)
        src = cv2.resize(image, (max(1, round(w * f)), max(1, round(h * f))), interpolation=cv2.INTER_AREA)
        fx, fy = src.shape[1] / w, src.shape[0] / h
        box = Box(box.left * fx, box.top * fy, box.width * fx, box.height * fy)
        sx, sy = box.width / size, box.height / size
    # Output pixel centre (i + 0.5) sits at edge coordinate box.left + (i + 0.5) * sx of the source, i.e.
    # at OpenCV pixel box.left + (i + 0.5) * sx - 0.5.
    matrix = np.array([[sx, 0, box.left + 0.5 * sx - 0.5], [0, sy, box.top + 0.5 * sy - 0.5]], np.float64)
    return cv2.warpAffine(
        src, matrix, (size, size), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_REPLICATE
    )


def crop_to_image(points: np.ndarray, box: Box) -> np.ndarray:
    """Normalised crop coordinates ``(..., 2)`` -> OpenCV pixel coordinates of the image the box is in."""
    p = np.asarray(points, np.float64)
    return np.array([box.left, box.top]) + p * np.array([box.width, box.height]) - 0.5


def image_to_crop(points: np.ndarray, box: Box) -> np.ndarray:
    """OpenCV pixel coordinates ``(..., 2)`` of an image -> normalised coordinates of the crop ``box``."""
    p = np.asarray(points, np.float64) - np.array([box.left, box.top])
    return pixels_to_normalized(p, box.width, box.height)
