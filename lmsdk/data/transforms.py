"""Reading images and cropping them for training.

The crop geometry (:class:`Box`, :func:`crop_resize`) and the image reader are shared with the runtime
(:mod:`lmsdk.geometry`, :mod:`lmsdk.images`): training and deployment preprocess with the same code.
"""

from __future__ import annotations

import numpy as np

from lmsdk.geometry import Box, crop_resize, image_to_crop
from lmsdk.images import read_image_rgb

__all__ = ["Box", "crop_resize", "keypoints_to_crop", "read_image_rgb"]


def keypoints_to_crop(points: np.ndarray, box: Box) -> np.ndarray:
    """OpenCV pixel coordinates ``(P, 2)`` of the source image -> normalised coordinates of the crop, float32."""
    return image_to_crop(points, box).astype(np.float32)
