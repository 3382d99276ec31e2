"""The labels CSV every part of lmsdk shares: ``image,x0,y0,x1,y1,...`` in pixels of each image.

One header line, then one row per image; ``image`` is a path relative to the CSV. Points are OpenCV pixel
coordinates of that image (the centre of the top-left pixel is 0, 0); an empty cell marks a point that
is not annotated. Public datasets convert to the same in-memory form (:class:`~lmsdk.data.ImageSource`
with keypoints).
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from lmsdk.data.base import ImageSource
from lmsdk.data.transforms import Box, crop_resize, keypoints_to_crop, read_image_rgb
from lmsdk.errors import DataError


def read_labels_csv(path: str | os.PathLike[str]) -> tuple[list[Path], np.ndarray, tuple[str, ...]]:
    """Parse a labels CSV: image paths, ``(N, P, 2)`` pixel points (NaN where empty) and point names."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: labels file not found")
    try:
        rows = list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8-sig"), newline="")))
    except UnicodeDecodeError:
        raise DataError(f"{path}: not a text CSV file (is it binary, or not UTF-8?)") from None
    except csv.Error as exc:
        raise DataError(f"{path}: not a readable CSV file ({exc})") from None
    if not rows:
        raise DataError(f"{path}: empty labels file")
    header = [h.strip() for h in rows[0]]
    if not header or header[0] != "image" or len(header) < 3 or (len(header) - 1) % 2:
        raise DataError(f"{path}:1: header must be image,x0,y0,x1,y1,... (got {','.join(header)})")
    names = tuple(h[1:] if h.startswith("x") else h for h in header[1::2])
    images, points = [], []
    for lineno, row in enumerate(rows[1:], 2):
        if not row or all(not c.strip() for c in row):
            continue
        if len(row) != len(header):
            raise DataError(f"{path}:{lineno}: expected {len(header)} fields, got {len(row)}")
        try:
            values = [float(c) if c.strip() else np.nan for c in row[1:]]
        except ValueError as exc:
            raise DataError(f"{path}:{lineno}: {exc}") from None
        if np.isinf(values).any():
            raise DataError(f"{path}:{lineno}: coordinates must be finite (leave a cell empty for a missing point)")
        images.append(path.parent / row[0].strip())
        points.append(np.array(values, np.float64).reshape(-1, 2))
    if not images:
        raise DataError(f"{path}: no rows after the header")
    return images, np.stack(points), names


def write_labels_csv(
    path: str | os.PathLike[str],
    images: Sequence[str],
    points: Iterable[np.ndarray],
    names: Sequence[str] | None = None,
) -> None:
    """Write a labels CSV; ``points`` are ``(P, 2)`` pixel arrays per image (NaN for missing)."""
    rows = [np.asarray(p, np.float64) for p in points]
    count = rows[0].shape[0] if rows else len(names or [])
    names = list(names) if names is not None else [str(k) for k in range(count)]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["image", *[f"{a}{n}" for n in names for a in ("x", "y")]])
        for image, p in zip(images, rows, strict=True):
            writer.writerow([image, *["" if not np.isfinite(v) else f"{v:.3f}" for v in p.reshape(-1)]])


class LabelledImages(ImageSource):
    """The images of a labels CSV, squared like an image folder, with their points in crop coordinates.

    ``normalizer`` names the two points whose distance normalises errors (default: the first two, the
    eyes in face datasets).
    """

    def __init__(
        self,
        csv_path: str | os.PathLike[str],
        crop_size: int,
        crop_fraction: float = 1.0,
        normalizer: tuple[int, int] = (0, 1),
    ) -> None:
        self.csv_path = Path(csv_path)
        self.files, self.points, self.keypoint_names = read_labels_csv(csv_path)
        if max(normalizer) >= self.points.shape[1]:
            raise DataError(f"{csv_path}: needs at least {max(normalizer) + 1} points to normalise errors")
        self.normalizer_indices = normalizer
        self.crop_size = crop_size
        self.crop_fraction = crop_fraction
        self.description = f"labels {self.csv_path} ({len(self.files)} images, {self.points.shape[1]} points)"
        self._sizes: dict[int, tuple[int, int]] = {}

    def __len__(self) -> int:
        return len(self.files)

    def _box(self, index: int) -> Box:
        if index not in self._sizes:
            image = read_image_rgb(str(self.files[index]))
            self._sizes[index] = (image.shape[1], image.shape[0])
        w, h = self._sizes[index]
        return Box.centered_square(w, h, self.crop_fraction)

    def image(self, index: int) -> np.ndarray:
        image = read_image_rgb(str(self.files[index]))
        self._sizes[index] = (image.shape[1], image.shape[0])
        return crop_resize(image, self._box(index), self.crop_size)

    def keypoints(self, index: int) -> np.ndarray:
        return keypoints_to_crop(self.points[index], self._box(index))
