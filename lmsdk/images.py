"""Image files in and out (numpy + OpenCV): the file boundary of the colour rule in :mod:`lmsdk.geometry`.

Files are decoded to and encoded from OpenCV's BGR order here; :func:`read_image_rgb` and
:func:`write_image_rgb` are the doors for lmsdk's RGB inside (datasets, the trainer's figures), and
:func:`read_image` / :func:`write_image` for the runtime's BGR. Writes are atomic.
"""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np

from lmsdk.errors import DataError, OutputError
from lmsdk.fileio import atomic_write_bytes
from lmsdk.geometry import bgr_to_rgb, rgb_to_bgr

#: Suffixes of the image files lmsdk reads (datasets, ``lmsdk edit``) and writes.
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff")


def read_image(path: str | os.PathLike[str]) -> np.ndarray:
    """An image file as ``(H, W, 3)`` uint8 BGR (grey and RGBA files converted); :class:`DataError` naming it."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: image file not found")
    data = np.fromfile(str(path), dtype=np.uint8)
    if data.size == 0:
        raise DataError(f"{path}: empty file (0 bytes), not an image")
    image = cv2.imdecode(data, cv2.IMREAD_COLOR)
    if image is None or image.size == 0:
        raise DataError(f"{path}: not a readable image (corrupt, truncated or an unsupported format)")
    return image


def read_image_rgb(path: str | os.PathLike[str]) -> np.ndarray:
    """An image file as ``(H, W, 3)`` uint8 RGB (lmsdk's inside order)."""
    return np.ascontiguousarray(bgr_to_rgb(read_image(path)))


def write_image(path: str | os.PathLike[str], image_bgr: np.ndarray) -> None:
    """Write a BGR uint8 image, format by suffix (:data:`IMAGE_SUFFIXES`), through a temporary file."""
    path = Path(path)
    if path.suffix.lower() not in IMAGE_SUFFIXES:
        raise OutputError(f"{path}: cannot tell the image format; use a suffix of {', '.join(IMAGE_SUFFIXES)}")
    ok, data = cv2.imencode(path.suffix.lower(), np.ascontiguousarray(image_bgr))
    if not ok:
        raise OutputError(f"{path}: OpenCV could not encode the image")
    atomic_write_bytes(path, data.tobytes())


def write_image_rgb(path: str | os.PathLike[str], image_rgb: np.ndarray) -> None:
    """Write an RGB uint8 image (lmsdk's inside order), format by suffix, through a temporary file."""
    write_image(path, rgb_to_bgr(image_rgb))
