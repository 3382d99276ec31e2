"""Reading images and cropping them for training.

The crop geometry (:class:`Box`, :func:`crop_resize`) is the runtime's own
(:mod:`lmsdk.runtime.geometry`): training and deployment preprocess with the same code.
"""

from __future__ import annotations

import os

import cv2
import numpy as np

from lmsdk.errors import DataError
from lmsdk.runtime.geometry import Box, crop_resize, image_to_crop

__all__ = ["Box", "crop_resize", "keypoints_to_crop", "read_image_rgb"]


def keypoints_to_crop(points: np.ndarray, box: Box) -> np.ndarray:
    """OpenCV pixel coordinates ``(P, 2)`` of the source image -> normalised coordinates of the crop, float32."""
    return image_to_crop(points, box).astype(np.float32)


def read_image_rgb(path: str) -> np.ndarray:
    """Read an image file as HxWx3 uint8 RGB; raises :class:`~lmsdk.errors.DataError` naming the file."""
    if not os.path.isfile(path):
        raise DataError(f"{path}: image file not found")
    data = np.fromfile(path, dtype=np.uint8)
    image = cv2.imdecode(data, cv2.IMREAD_COLOR)
    if image is None:
        raise DataError(f"{path}: not a readable image (corrupt, truncated or an unsupported format)")
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
