"""The cat head dataset (Zhang, Sun and Tang, ECCV 2008): ``X.jpg`` with ``X.jpg.cat`` beside it.

A ``.cat`` file holds the count 9 and nine x, y pairs: left eye, right eye, mouth, then three points on
each ear. As the paper does (App. G.1), the crop comes from the landmarks' bounding box: lmsdk takes a
square of 1.25 x its longer side around its centre. Evaluation uses 7 of the 9 points (the ear tips,
points 5 and 8 counted from 1, are left out, as in the released evaluation). Split: ``CAT_06`` is the test
set when present (the common split); otherwise a list file names the images.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from lmsdk.data.base import ImageSource
from lmsdk.data.transforms import Box, crop_resize, keypoints_to_crop, read_image_rgb
from lmsdk.errors import DataError

CAT_POINTS = (
    "left_eye",
    "right_eye",
    "mouth",
    "left_ear_1",
    "left_ear_2",
    "left_ear_3",
    "right_ear_1",
    "right_ear_2",
    "right_ear_3",
)
EVALUATED = (0, 1, 2, 3, 5, 6, 8)
MARGIN = 1.25


def read_cat_file(path: Path) -> np.ndarray:
    try:
        values = [float(v) for v in path.read_text().split()]
    except (OSError, ValueError) as exc:
        raise DataError(f"{path}: cannot read cat annotations ({exc})") from None
    if len(values) != 19 or values[0] != 9:
        raise DataError(f"{path}: expected '9' and 9 x y pairs, got {len(values)} numbers")
    return np.array(values[1:]).reshape(9, 2)


class CatHeads(ImageSource):
    """Cat heads framed from their annotations; ``split`` is ``all``, ``train`` or ``test``."""

    keypoint_names = tuple(CAT_POINTS[i] for i in EVALUATED)
    normalizer_indices = (0, 1)

    def __init__(self, root: str | os.PathLike[str], crop_size: int, split: str = "all") -> None:
        if split not in ("all", "train", "test"):
            raise DataError(f"unknown cat split {split!r}; one of all, train, test")
        root = Path(root)
        files = sorted(p for p in root.rglob("*.cat") if p.is_file())
        if not files:
            raise DataError(f"{root}: no .cat annotation files found")
        if split != "all":
            files = [p for p in files if (p.parent.name == "CAT_06") == (split == "test")]
        self.files = [p.with_suffix("") for p in files]  # not `images`: that is ImageSource.images()
        missing = [p for p in self.files[:50] if not p.is_file()]
        if missing:
            raise DataError(f"{missing[0]}: image missing beside its .cat file")
        self.points = np.stack([read_cat_file(p) for p in files])
        self.crop_size = crop_size
        self.description = f"cat heads {split} ({len(files)} images)"

    def __len__(self) -> int:
        return len(self.files)

    def box(self, index: int) -> Box:
        p = self.points[index]
        (x0, y0), (x1, y1) = p.min(0), p.max(0)
        return Box.around((x0 + x1) / 2 + 0.5, (y0 + y1) / 2 + 0.5, MARGIN * max(x1 - x0, y1 - y0))

    def image(self, index: int) -> np.ndarray:
        return crop_resize(read_image_rgb(str(self.files[index])), self.box(index), self.crop_size)

    def keypoints(self, index: int) -> np.ndarray:
        return keypoints_to_crop(self.points[index][list(EVALUATED)], self.box(index))
