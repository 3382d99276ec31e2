"""Tiny datasets written in each format's official layout, for the loader tests (images with bright dots where
the annotated points are)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

FACE = np.array([[69, 111], [108, 111], [88, 135], [72, 152], [105, 152]], float)
CAT = np.array([[60, 70], [90, 70], [75, 90], [45, 40], [50, 20], [58, 35], [92, 35], [100, 20], [105, 40]])


def image_with_dots(h: int, w: int, points: np.ndarray) -> np.ndarray:
    image = np.full((h, w, 3), 40, np.uint8)
    for x, y in points:
        cv2.circle(image, (round(x), round(y)), 2, (255, 255, 255), -1)
    return image


def write_celeba(root: Path) -> Path:
    """Eight aligned 178 x 218 faces with the landmark list, the partition and the MAFL lists."""
    (root / "img_align_celeba").mkdir(parents=True)
    (root / "MAFL").mkdir()
    names = [f"{i:06d}.jpg" for i in range(1, 9)]
    lines = [
        "8",
        "lefteye_x lefteye_y righteye_x righteye_y nose_x nose_y leftmouth_x leftmouth_y rightmouth_x rightmouth_y",
    ]
    for i, name in enumerate(names):
        points = FACE + i
        cv2.imwrite(str(root / "img_align_celeba" / name), image_with_dots(218, 178, points))
        lines.append(name + " " + " ".join(f"{v:.0f}" for v in points.reshape(-1)))
    (root / "list_landmarks_align_celeba.txt").write_text("\n".join(lines) + "\n")
    partition = [0, 0, 0, 0, 0, 1, 2, 2]
    (root / "list_eval_partition.txt").write_text("".join(f"{n} {p}\n" for n, p in zip(names, partition, strict=True)))
    (root / "MAFL" / "training.txt").write_text("\n".join(names[:3]) + "\n")
    (root / "MAFL" / "testing.txt").write_text(names[3] + "\n" + names[4] + "\n")
    return root


def write_aflw(root: Path, split: str = "test") -> Path:
    """Two recropped AFLW faces of different sizes with their (y, x) keypoints in a .mat file."""
    from scipy.io import savemat

    (root / "aflw_data").mkdir(parents=True)
    (root / "aflw_images").mkdir()
    names, gt, hw = [], [], []
    for i, (h, w) in enumerate([(90, 80), (120, 100)]):
        points = np.array([[0.35, 0.4], [0.65, 0.4], [0.5, 0.55], [0.4, 0.72], [0.6, 0.72]]) * [w, h]
        cv2.imwrite(str(root / "aflw_images" / f"{i}.jpg"), image_with_dots(h, w, points))
        names.append(f"{i}.jpg")
        gt.append(points[:, ::-1])  # stored as (y, x)
        hw.append([h, w])
    (root / "aflw_data" / f"aflw_{split}_images.txt").write_text("\n".join(names) + "\n")
    savemat(str(root / "aflw_data" / f"aflw_{split}_keypoints.mat"), {"gt": np.array(gt), "hw": np.array(hw)})
    return root


def write_cats(root: Path) -> Path:
    """One cat head in CAT_00 (train) and one in CAT_06 (test), each with its .cat file."""
    for folder in ("CAT_00", "CAT_06"):
        (root / folder).mkdir(parents=True)
        image = root / folder / "00000001_000.jpg"
        cv2.imwrite(str(image), image_with_dots(150, 160, CAT))
        (root / folder / "00000001_000.jpg.cat").write_text("9 " + " ".join(map(str, CAT.reshape(-1))) + " ")
    return root


def write_mnist(root: Path, suffix: str = "") -> Path:
    """Five 28 x 28 digits (a bar each) and their labels; returns the images file."""
    from lmsdk.data.mnist import write_idx

    root.mkdir(parents=True, exist_ok=True)
    digits = np.zeros((5, 28, 28), np.uint8)
    digits[:, 10:18, 12:16] = 255
    write_idx(root / f"t10k-images-idx3-ubyte{suffix}", digits)
    write_idx(root / f"t10k-labels-idx1-ubyte{suffix}", np.array([3, 1, 3, 7, 3], np.uint8))
    return root / f"t10k-images-idx3-ubyte{suffix}"


def write_mtfl(root: Path) -> Path:
    """An MTFL list of two LFW-style 80 x 80 images; returns the list file."""
    (root / "lfw_5590").mkdir(parents=True)
    lines = ["# image x1..x5 y1..y5 gender smile glasses pose"]
    for i in range(2):
        cv2.imwrite(str(root / "lfw_5590" / f"{i}.jpg"), image_with_dots(80, 80, np.array([[30, 35], [50, 35]])))
        lines.append(f"lfw_5590/{i}.jpg 30 50 40 32 48 35 35 45 55 55 1 2 2 3")
    (root / "train.txt").write_text("\n".join(lines) + "\n")
    return root / "train.txt"


def write_labels(root: Path) -> Path:
    """Two images and a labels CSV of two points each; returns the CSV."""
    from lmsdk.data import write_labels_csv

    root.mkdir(parents=True, exist_ok=True)
    points = [np.array([[10.0, 12.0], [30.0, 12.5]]), np.array([[11.0, 14.0], [31.0, 13.0]])]
    for i, p in enumerate(points):
        cv2.imwrite(str(root / f"{i}.png"), image_with_dots(50, 60, p))
    write_labels_csv(root / "labels.csv", ["0.png", "1.png"], points, ["eye_l", "eye_r"])
    return root / "labels.csv"


def write_folder(root: Path) -> Path:
    """Three plain images of different sizes in a folder tree."""
    (root / "a").mkdir(parents=True)
    for i, (h, w) in enumerate([(40, 60), (64, 48), (33, 33)]):
        cv2.imwrite(str(root / "a" / f"{i}.png"), np.full((h, w, 3), 50 * i, np.uint8))
    return root


def write_video(root: Path) -> Path:
    """A 12-frame synthetic clip; returns the video file."""
    from lmsdk.data.clips import ClipSpec, write_clip

    root.mkdir(parents=True, exist_ok=True)
    write_clip(root / "clip.avi", ClipSpec(width=64, height=48, frames=12, motion="drift"))
    return root / "clip.avi"
