"""Loaders for the paper's datasets, each on a tiny fixture written here in the official layout."""

import cv2
import numpy as np
import pytest

from lmsdk.data import (
    AflwRecropped,
    CatHeads,
    CelebA,
    LabelledImages,
    MnistDigits,
    detect_format,
    open_source,
    read_labels_csv,
    write_labels_csv,
)
from lmsdk.data.sources import DataConfig
from lmsdk.errors import DataError
from tests.data.layouts import image_with_dots, write_aflw, write_cats, write_celeba, write_mnist


def _dots_found_at(crop: np.ndarray, keypoints: np.ndarray, tolerance: float) -> bool:
    """Every keypoint (normalised) lands on a bright dot of the crop."""
    s = crop.shape[0]
    bright = crop[..., 0] > 120
    for x, y in keypoints * s - 0.5:
        r = max(2, round(tolerance))
        patch = bright[max(round(y) - r, 0) : round(y) + r + 1, max(round(x) - r, 0) : round(x) + r + 1]
        if not patch.any():
            return False
    return True


@pytest.fixture
def celeba_root(tmp_path):
    return write_celeba(tmp_path / "celeba")


def test_celeba_splits_follow_the_paper(celeba_root):
    assert detect_format(celeba_root) == "celeba"
    train = CelebA(celeba_root, 64, "train")  # partition 0 minus the MAFL test images
    assert train.names == ["000001.jpg", "000002.jpg", "000003.jpg"]
    assert len(CelebA(celeba_root, 64, "mafl-test")) == 2
    assert len(CelebA(celeba_root, 64, "test")) == 2
    assert len(open_source(DataConfig(source=f"{celeba_root}#mafl-train"), 64)) == 3


def test_celeba_crop_keeps_points_on_their_pixels(celeba_root):
    data = CelebA(celeba_root, 80, "mafl-test")
    for i in range(len(data)):
        kp = data.keypoints(i)
        assert np.all((kp > 0) & (kp < 1))
        assert _dots_found_at(data.image(i), kp, tolerance=2)


def test_celeba_errors_name_file_and_line(celeba_root):
    path = celeba_root / "list_eval_partition.txt"
    path.write_text(path.read_text() + "000009.jpg seven\n")
    with pytest.raises(DataError, match=r"list_eval_partition\.txt:9"):
        CelebA(celeba_root, 64)
    with pytest.raises(DataError, match="unknown CelebA split"):
        CelebA(celeba_root, 64, "holdout")


def test_aflw_reads_mat_keypoints_in_y_x_order(tmp_path):
    root = write_aflw(tmp_path / "aflw")
    assert detect_format(root) == "aflw"
    data = AflwRecropped(root, 64, "test")
    kp = data.keypoints(1)
    assert kp[0, 0] < kp[1, 0] and abs(kp[0, 1] - kp[1, 1]) < 1e-6  # x first, eyes level
    assert _dots_found_at(data.image(1), kp, tolerance=2)


def test_cat_heads_frame_from_annotations_and_split_on_cat_06(tmp_path):
    write_cats(tmp_path)
    assert detect_format(tmp_path) == "cats"
    train, test = CatHeads(tmp_path, 64, "train"), CatHeads(tmp_path, 64, "test")
    assert len(train) == 1 and len(test) == 1 and test.files[0].parent.name == "CAT_06"
    kp = train.keypoints(0)
    assert kp.shape == (7, 2) and len(train.keypoint_names) == 7
    assert _dots_found_at(train.image(0), kp, tolerance=2)
    (tmp_path / "CAT_00" / "00000001_000.jpg.cat").write_text("8 1 2")
    with pytest.raises(DataError, match=r"\.cat"):
        CatHeads(tmp_path, 64)


@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_mnist_idx_gzip_or_not_and_digit_selection(tmp_path, suffix):
    path = write_mnist(tmp_path, suffix)
    assert detect_format(path) == "mnist"
    data = MnistDigits(path, 28)
    assert len(data) == 5 and data.image(0).shape == (28, 28, 3) and data.image(0)[12, 13, 0] == 255
    assert len(MnistDigits(path, 28, digit=3)) == 3
    assert len(open_source(DataConfig(source=f"{path}#7"), 56)) == 1
    truncated = tmp_path / "bad-images-idx3-ubyte"
    truncated.write_bytes((2051).to_bytes(4, "big") + (5).to_bytes(4, "big") + (28).to_bytes(4, "big") * 2 + b"x")
    with pytest.raises(DataError, match="truncated"):
        MnistDigits(truncated, 28)


def test_labels_csv_round_trip_and_errors(tmp_path):
    points = [np.array([[10.0, 12.0], [30.0, 12.5]]), np.array([[11.0, np.nan], [31.0, 13.0]])]
    for i in range(2):
        cv2.imwrite(str(tmp_path / f"{i}.png"), image_with_dots(50, 60, np.nan_to_num(points[i])))
    write_labels_csv(tmp_path / "labels.csv", ["0.png", "1.png"], points, ["eye_l", "eye_r"])
    files, read, names = read_labels_csv(tmp_path / "labels.csv")
    assert names == ("eye_l", "eye_r") and [f.name for f in files] == ["0.png", "1.png"]
    assert np.allclose(read, np.array(points), equal_nan=True)
    assert detect_format(tmp_path / "labels.csv") == "labels"
    data = LabelledImages(tmp_path / "labels.csv", 32)
    assert np.isnan(data.keypoints(1)[0, 1]) and _dots_found_at(data.image(0), data.keypoints(0), 1.5)
    (tmp_path / "bad.csv").write_text("image,x0,y0\n0.png,1,2\n1.png,3\n")
    with pytest.raises(DataError, match=r"bad\.csv:3"):
        read_labels_csv(tmp_path / "bad.csv")
    (tmp_path / "header.csv").write_text("file,x,y\n")
    with pytest.raises(DataError, match=r"header\.csv:1"):
        read_labels_csv(tmp_path / "header.csv")
