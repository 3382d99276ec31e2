"""Kept importable from here: the crop geometry lives in :mod:`lmsdk.geometry` (shared with training)."""

from __future__ import annotations

from lmsdk.geometry import Box, crop_resize, crop_to_image, image_to_crop, normalized_to_pixels, pixels_to_normalized

__all__ = ["Box", "crop_resize", "crop_to_image", "image_to_crop", "normalized_to_pixels", "pixels_to_normalized"]
