"""Public face datasets in their official layouts: CelebA (with the MAFL lists) and AFLW as the paper used it.

CelebA (App. G.1): aligned 178 x 218 images squashed to 100 x 100, centre 80 x 80 kept; lmsdk takes the same
region (the central 80 % of each side) straight to the preset's crop size. Splits:
``train`` (partition 0 minus the 1,000 MAFL test images: the paper's 161,962), ``mafl-train`` (19,000),
``mafl-test`` (1,000), ``val`` and ``test`` (partitions 1 and 2).

AFLW (MTFL/TCDCN split, recropped to look like CelebA; later work reuses it): ``aflw_{train,test}_images.txt``
and ``aflw_{train,test}_keypoints.mat`` (``gt``: N x 5 x 2 in (y, x) pixels, ``hw``: image sizes) in
``aflw_data/``, images in ``aflw_images/``; each image is resized whole to the crop size, as released.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from lmsdk.data.base import ImageSource
from lmsdk.data.transforms import Box, crop_resize, keypoints_to_crop, read_image_rgb
from lmsdk.errors import DataError

FACE_POINTS = ("left_eye", "right_eye", "nose", "mouth_left", "mouth_right")
CELEBA_SPLITS = ("train", "mafl-train", "mafl-test", "val", "test")
CELEBA_CROP = 0.8  # 100 x 100 squash, central 80 x 80


def _read_names(path: Path) -> list[str]:
    if not path.is_file():
        raise DataError(f"{path}: list not found")
    return [line.split()[0] for line in path.read_text().splitlines() if line.strip()]


def _find(root: Path, *candidates: str) -> Path:
    for name in candidates:
        if (root / name).exists():
            return root / name
    raise DataError(f"{root}: none of {', '.join(candidates)} found (is this the dataset's root folder?)")


class CelebA(ImageSource):
    """CelebA aligned faces with the five annotated points, in one of :data:`CELEBA_SPLITS`."""

    keypoint_names = FACE_POINTS
    normalizer_indices = (0, 1)

    def __init__(self, root: str | os.PathLike[str], crop_size: int, split: str = "train") -> None:
        root = Path(root)
        if split not in CELEBA_SPLITS:
            raise DataError(f"unknown CelebA split {split!r}; one of {', '.join(CELEBA_SPLITS)}")
        self.images_dir = _find(root, "img_align_celeba", "img_align_celeba_png")
        partition_file = _find(root, "list_eval_partition.txt", "Eval/list_eval_partition.txt")
        landmarks_file = _find(root, "list_landmarks_align_celeba.txt", "Anno/list_landmarks_align_celeba.txt")
        partitions: dict[str, int] = {}
        for lineno, line in enumerate(partition_file.read_text().splitlines(), 1):
            fields = line.split()
            if not fields:
                continue
            if len(fields) != 2 or fields[1] not in ("0", "1", "2"):
                raise DataError(f"{partition_file}:{lineno}: expected 'image partition' with partition 0, 1 or 2")
            partitions[fields[0]] = int(fields[1])
        mafl = root / "MAFL" if (root / "MAFL").is_dir() else root
        if split in ("train", "mafl-train", "mafl-test"):
            test_names = set(_read_names(mafl / "testing.txt"))
        if split == "train":
            names = [n for n, p in partitions.items() if p == 0 and n not in test_names]
        elif split == "mafl-train":
            names = _read_names(mafl / "training.txt")
        elif split == "mafl-test":
            names = sorted(test_names)
        else:
            names = [n for n, p in partitions.items() if p == (1 if split == "val" else 2)]
        self.points = self._landmarks(landmarks_file, names)
        self.names = names
        self.crop_size = crop_size
        self.description = f"CelebA {split} ({len(names)} images)"

    @staticmethod
    def _landmarks(path: Path, names: list[str]) -> np.ndarray:
        wanted = set(names)
        found: dict[str, np.ndarray] = {}
        lines = path.read_text().splitlines()
        for lineno, line in enumerate(lines[2:], 3):  # a count line and a header line first
            fields = line.split()
            if not fields or fields[0] not in wanted:
                continue
            if len(fields) != 11:
                raise DataError(f"{path}:{lineno}: expected an image name and 10 coordinates")
            try:
                found[fields[0]] = np.array([float(v) for v in fields[1:]]).reshape(5, 2)
            except ValueError as exc:
                raise DataError(f"{path}:{lineno}: {exc}") from None
        missing = [n for n in names if n not in found]
        if missing:
            raise DataError(f"{path}: no landmarks for {missing[0]} (and {len(missing) - 1} more)")
        return np.stack([found[n] for n in names])

    def _path(self, index: int) -> Path:
        path = self.images_dir / self.names[index]
        return path if path.is_file() else path.with_suffix(".png")

    def box(self, width: int = 178, height: int = 218) -> Box:
        return Box(
            width * (1 - CELEBA_CROP) / 2, height * (1 - CELEBA_CROP) / 2, width * CELEBA_CROP, height * CELEBA_CROP
        )

    def __len__(self) -> int:
        return len(self.names)

    def image(self, index: int) -> np.ndarray:
        image = read_image_rgb(str(self._path(index)))
        return crop_resize(image, self.box(image.shape[1], image.shape[0]), self.crop_size)

    def keypoints(self, index: int) -> np.ndarray:
        return keypoints_to_crop(self.points[index], self.box())


class AflwRecropped(ImageSource):
    """AFLW faces recropped like CelebA (the MTFL / TCDCN split the paper evaluates on), ``train`` or ``test``."""

    keypoint_names = FACE_POINTS
    normalizer_indices = (0, 1)

    def __init__(self, root: str | os.PathLike[str], crop_size: int, split: str = "train") -> None:
        if split not in ("train", "test"):
            raise DataError(f"unknown AFLW split {split!r}; one of train, test")
        root = Path(root)
        data = root / "aflw_data" if (root / "aflw_data").is_dir() else root
        self.images_dir = root / "aflw_images" if (root / "aflw_images").is_dir() else root
        self.names = _read_names(data / f"aflw_{split}_images.txt")
        mat_path = data / f"aflw_{split}_keypoints.mat"
        try:
            from scipy.io import loadmat
        except ImportError:
            raise DataError("reading AFLW's .mat keypoints needs scipy: pip install 'lmsdk[train]'") from None
        if not mat_path.is_file():
            raise DataError(f"{mat_path}: keypoints not found")
        try:
            mat = loadmat(str(mat_path))
        except (ValueError, NotImplementedError, OSError) as exc:
            raise DataError(f"{mat_path}: cannot read ({exc})") from None
        if "gt" not in mat or "hw" not in mat:
            raise DataError(f"{mat_path}: expected variables 'gt' (N x 5 x 2, y x) and 'hw'")
        gt = np.asarray(mat["gt"], np.float64)
        if gt.ndim != 3 or gt.shape[1:] != (5, 2) or len(gt) != len(self.names):
            raise DataError(f"{mat_path}: gt has shape {gt.shape}, expected ({len(self.names)}, 5, 2)")
        self.points = gt[:, :, ::-1].copy()  # (y, x) -> (x, y)
        sizes = np.asarray(mat["hw"], np.float64)
        if sizes.shape == (2, len(self.names)) and len(self.names) != 2:
            sizes = sizes.T  # stored as 2 x N
        if sizes.shape != (len(self.names), 2):
            raise DataError(f"{mat_path}: hw has shape {sizes.shape}, expected ({len(self.names)}, 2)")
        self.sizes = sizes  # (h, w) per image
        self.crop_size = crop_size
        self.description = f"AFLW {split} ({len(self.names)} images)"

    def __len__(self) -> int:
        return len(self.names)

    def _box(self, index: int) -> Box:
        h, w = self.sizes[index]
        return Box(0.0, 0.0, float(w), float(h))

    def image(self, index: int) -> np.ndarray:
        image = read_image_rgb(str(self.images_dir / self.names[index]))
        return crop_resize(image, Box(0.0, 0.0, image.shape[1], image.shape[0]), self.crop_size)

    def keypoints(self, index: int) -> np.ndarray:
        return keypoints_to_crop(self.points[index], self._box(index))
