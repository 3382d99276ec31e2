"""MTFL-style landmark lists: ``path x1..x5 y1..y5 [attributes...]`` per line, ``#`` comments.

This is the layout of the MTFL release (Zhang et al., ECCV 2014) as distributed with lmsdk's dev data:
80 x 80 images, five points (left eye, right eye, nose, left / right mouth corner; "left" =
image-left) in pixel coordinates, then gender, smile, glasses and pose codes.

Framing: MTFL mixes whole LFW photos (small faces) with face crops. Without a crop that frames the
face like CelebA does, the landmarks settle on hair and background. The loader therefore crops each
sub-collection with one fixed box, derived once from the dataset-level mean of the annotations
(never from the annotations of the image at hand), so that the eyes are about 0.28 of the crop apart as
in CelebA's 80 px crops. Images from folders it does not know keep the whole image.

Splits (``train.txt#SPLIT``): ``fit`` and ``test`` are the held-out protocol's two parts, the first 80 % and the
rest of a random permutation of the list (seed 0), exactly the split ``lmsdk eval`` makes when fit and test name
the same list; a sub-folder's name (``lfw_5590``, ``net_7876``) keeps that folder's images, and
``FOLDER-fit`` / ``FOLDER-test`` its images in either part. So a model trained on ``#fit`` never saw a face of
``#test``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lmsdk.data.base import ImageSource
from lmsdk.data.faces import FACE_POINTS
from lmsdk.data.splits import fit_test_partition
from lmsdk.data.transforms import Box, crop_resize, keypoints_to_crop, read_image_rgb
from lmsdk.errors import DataError

KEYPOINT_NAMES = FACE_POINTS  # image-left first
ATTRIBUTE_NAMES = ("gender", "smile", "glasses", "pose")

# Fixed boxes (centre x, centre y, side) in pixel-edge coordinates of the 80 px MTFL images, per folder.
# From the mean annotations: LFW photos have inter-ocular 13.2 px, the web crops 17.4 px.
MTFL_FRAMING: dict[str, tuple[float, float, float]] = {
    "lfw_5590": (41.0, 41.5, 47.0),
    "net_7876": (40.6, 39.0, 62.0),
}


@dataclass(frozen=True)
class MtflRecord:
    path: Path
    points: np.ndarray  # (5, 2) OpenCV pixels of the source image
    attributes: np.ndarray  # (n,) int codes, -1 unknown


def read_mtfl_list(path: str | os.PathLike[str]) -> list[MtflRecord]:
    """Parse an MTFL list; a malformed line raises a :class:`DataError` naming the file and line."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: landmark list not found")
    records = []
    for lineno, line in enumerate(path.read_text().splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        fields = line.split()
        if len(fields) < 11:
            raise DataError(f"{path}:{lineno}: expected an image path and 10 coordinates, got {len(fields)} fields")
        try:
            coords = np.array([float(v) for v in fields[1:11]], np.float64)
            attrs = np.array([int(v) for v in fields[11:]], np.int64)
        except ValueError as exc:
            raise DataError(f"{path}:{lineno}: {exc}") from None
        image = path.parent / fields[0].replace("\\", "/")
        records.append(MtflRecord(image, np.stack([coords[:5], coords[5:]], -1), attrs))
    if not records:
        raise DataError(f"{path}: no entries")
    return records


def select_split(records: list[MtflRecord], split: str | None, where: str) -> list[MtflRecord]:
    """The records of ``split`` (``None``: all; ``fit``, ``test``, a folder name, ``FOLDER-fit``,
    ``FOLDER-test``), in list order; :class:`DataError` naming ``where`` for an unknown or empty split."""
    if split is None:
        return records
    folder, part = split, None
    for suffix in ("fit", "test"):
        if split == suffix:
            folder, part = None, suffix
        elif split.endswith(f"-{suffix}"):
            folder, part = split[: -len(suffix) - 1], suffix
    keep = np.ones(len(records), bool)
    if part is not None:
        fit, test = fit_test_partition(len(records))
        keep[:] = False
        keep[fit if part == "fit" else test] = True
    if folder is not None:
        folders = sorted({r.path.parent.name for r in records})
        if folder not in folders:
            raise DataError(
                f"{where}: unknown split {split!r}; use fit, test, a folder ({', '.join(folders)}) or FOLDER-fit / "
                "FOLDER-test"
            )
        keep &= np.array([r.path.parent.name == folder for r in records])
    chosen = [r for r, k in zip(records, keep, strict=True) if k]
    if not chosen:
        raise DataError(f"{where}: split {split!r} holds no image")
    return chosen


class MtflList(ImageSource):
    """Face crops from an MTFL list, with the five annotated points and the attribute codes."""

    keypoint_names = KEYPOINT_NAMES
    normalizer_indices = (0, 1)

    def __init__(self, list_path: str | os.PathLike[str], crop_size: int, split: str | None = None) -> None:
        self.list_path = Path(list_path)
        self.records = select_split(read_mtfl_list(list_path), split, str(self.list_path))
        self.crop_size = crop_size
        part = "" if split is None else f"#{split}"
        self.description = f"MTFL list {self.list_path}{part} ({len(self.records)} images)"
        self._sizes: dict[int, tuple[int, int]] = {}
        missing = [r.path for r in self.records[:50] if not r.path.is_file()]
        if missing:
            raise DataError(f"{self.list_path}: listed image {missing[0]} does not exist")

    def __len__(self) -> int:
        return len(self.records)

    def _size(self, index: int) -> tuple[int, int]:
        if index not in self._sizes:
            image = read_image_rgb(str(self.records[index].path))
            self._sizes[index] = (image.shape[1], image.shape[0])
        return self._sizes[index]

    def box(self, index: int) -> Box:
        """The crop box of image ``index``: its folder's fixed framing (scaled from the 80 px release to the
        image's size), or the whole image for folders lmsdk does not know."""
        width, height = self._size(index)
        framing = MTFL_FRAMING.get(self.records[index].path.parent.name)
        if framing is None:
            return Box.centered_square(width, height)
        cx, cy, side = framing
        sx, sy = width / 80.0, height / 80.0
        return Box(cx * sx - side * sx / 2, cy * sy - side * sy / 2, side * sx, side * sy)

    def image(self, index: int) -> np.ndarray:
        image = read_image_rgb(str(self.records[index].path))
        self._sizes[index] = (image.shape[1], image.shape[0])
        return crop_resize(image, self.box(index), self.crop_size)

    def keypoints(self, index: int) -> np.ndarray:
        return keypoints_to_crop(self.records[index].points, self.box(index))

    def attributes(self) -> np.ndarray:
        """``(N, 4)`` attribute codes (gender, smile, glasses: 1/2; pose 1..5; -1 unknown)."""
        return np.stack([r.attributes for r in self.records])
