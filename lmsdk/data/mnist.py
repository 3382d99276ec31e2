"""MNIST in its IDX files (gzip or not), as RGB crops for the paper's Appendix B experiment."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import cv2
import numpy as np

from lmsdk.data.base import ImageSource
from lmsdk.errors import DataError

_IMAGES_MAGIC = 2051
_LABELS_MAGIC = 2049


def read_idx(path: str | os.PathLike[str]) -> np.ndarray:
    """An IDX array (``.gz`` or plain): uint8 images ``(N, H, W)`` or labels ``(N,)``."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: IDX file not found")
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            data = f.read()
    except (OSError, EOFError) as exc:
        raise DataError(f"{path}: cannot read ({exc})") from None
    if len(data) < 8:
        raise DataError(f"{path}: too short for an IDX header")
    magic = int.from_bytes(data[:4], "big")
    if magic not in (_IMAGES_MAGIC, _LABELS_MAGIC):
        raise DataError(f"{path}: not an MNIST IDX file (magic {magic})")
    ndim = magic & 0xFF
    dims = [int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    offset = 4 + 4 * ndim
    expected = int(np.prod(dims))
    if len(data) - offset != expected:
        raise DataError(f"{path}: truncated ({len(data) - offset} bytes of {expected})")
    return np.frombuffer(data, np.uint8, offset=offset).reshape(dims)


def write_idx(path: str | os.PathLike[str], array: np.ndarray) -> None:
    """Write uint8 images ``(N, H, W)`` or labels ``(N,)`` as an IDX file (gzip when ``path`` ends in ``.gz``).

    The inverse of :func:`read_idx`: e.g. a user's own digits in MNIST's layout.
    """
    array = np.ascontiguousarray(array, np.uint8)
    if array.ndim not in (1, 3):
        raise DataError(f"{path}: IDX holds images (N, H, W) or labels (N,), got shape {array.shape}")
    magic = _IMAGES_MAGIC if array.ndim == 3 else _LABELS_MAGIC
    data = magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in array.shape) + array.tobytes()
    opener = gzip.open if Path(path).suffix == ".gz" else open
    with opener(path, "wb") as f:
        f.write(data)


def _labels_path(images: Path) -> Path | None:
    name = images.name.replace("images-idx3", "labels-idx1")
    candidate = images.with_name(name)
    return candidate if candidate != images and candidate.is_file() else None


class MnistDigits(ImageSource):
    """MNIST digits (white on black) as RGB crops of ``crop_size``; ``digit`` keeps one class only."""

    def __init__(self, images_path: str | os.PathLike[str], crop_size: int, digit: int | None = None) -> None:
        images_path = Path(images_path)
        images = read_idx(images_path)
        if images.ndim != 3:
            raise DataError(f"{images_path}: expected an image IDX file (3 dimensions), got {images.ndim}")
        labels_path = _labels_path(images_path)
        self.labels = read_idx(labels_path) if labels_path else None
        if digit is not None:
            if self.labels is None:
                raise DataError(f"{images_path}: selecting digit {digit} needs the labels file beside it")
            images = images[self.labels == digit]
            self.labels = self.labels[self.labels == digit]
        self.digits = images
        self.crop_size = crop_size
        self.description = f"MNIST {images_path.name} ({len(images)} digits{'' if digit is None else f' {digit}'})"

    def __len__(self) -> int:
        return len(self.digits)

    def image(self, index: int) -> np.ndarray:
        digit = self.digits[index]
        if digit.shape[0] != self.crop_size:
            digit = cv2.resize(digit, (self.crop_size, self.crop_size), interpolation=cv2.INTER_LINEAR)
        return np.repeat(digit[:, :, None], 3, axis=2)
