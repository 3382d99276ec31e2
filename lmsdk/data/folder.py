"""Any folder of images: every image under it (recursively), squared, cropped and resized to the preset."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from lmsdk.data.base import ImageSource
from lmsdk.data.transforms import Box, crop_resize, read_image_rgb
from lmsdk.errors import DataError
from lmsdk.images import IMAGE_SUFFIXES

__all__ = ["IMAGE_SUFFIXES", "ImageFolder", "list_images"]


def list_images(root: str | os.PathLike[str]) -> list[Path]:
    """Image files under ``root``, recursively, in a stable (sorted) order."""
    root = Path(root)
    if not root.is_dir():
        raise DataError(f"{root}: not a folder")
    files = sorted(p for p in root.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
    if not files:
        raise DataError(f"{root}: no images found (looked for {', '.join(IMAGE_SUFFIXES)})")
    return files


class ImageFolder(ImageSource):
    """Crops of the images under a folder.

    Each image is reduced to its largest centred square, then to ``crop_fraction`` of that square
    (1.0 keeps it all), and resized to ``crop_size``.
    """

    def __init__(self, root: str | os.PathLike[str], crop_size: int, crop_fraction: float = 1.0) -> None:
        if not 0 < crop_fraction <= 1:
            raise DataError(f"crop fraction must be in (0, 1], got {crop_fraction}")
        self.root = Path(root)
        self.files = list_images(root)
        self.crop_size = crop_size
        self.crop_fraction = crop_fraction
        self.description = f"image folder {self.root} ({len(self.files)} images)"

    def __len__(self) -> int:
        return len(self.files)

    def image(self, index: int) -> np.ndarray:
        image = read_image_rgb(str(self.files[index]))
        box = Box.centered_square(image.shape[1], image.shape[0], self.crop_fraction)
        return crop_resize(image, box, self.crop_size)
