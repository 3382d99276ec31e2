"""Editing metrics on constructed models whose answer is known."""

import numpy as np
import pytest

from lmsdk.errors import InputError
from lmsdk.eval.editing import (
    blur_reference,
    gradient_energy,
    landmark_box_mask,
    measure_edits,
    move_figures,
    sharpness_ratio,
)

S, K = 40, 3
START = np.array([[0.3, 0.35], [0.65, 0.4], [0.5, 0.7]])


def render(points: np.ndarray) -> np.ndarray:
    """Landmark k as a Gaussian blob in colour channel k (the background black)."""
    ys, xs = np.mgrid[0:S, 0:S] + 0.5
    image = np.zeros((S, S, 3))
    for k, (x, y) in enumerate(points * S):
        image[..., k] = 250 * np.exp(-((xs - x) ** 2 + (ys - y) ** 2) / (2 * 2.0**2))
    return image.round().astype(np.uint8)


def centroids(crops: np.ndarray) -> np.ndarray:
    ys, xs = np.mgrid[0:S, 0:S] + 0.5
    w = crops.astype(np.float64)  # (N, S, S, 3)
    total = w.sum(axis=(1, 2))
    x = (w * xs[None, :, :, None]).sum(axis=(1, 2)) / total
    y = (w * ys[None, :, :, None]).sum(axis=(1, 2)) / total
    return np.stack([x, y], -1) / S  # (N, K, 2)


class BlobModel:
    """A perfect editor: it draws each landmark where it is sent. ``mode`` breaks it on purpose."""

    num_landmarks, size = K, S

    def __init__(self, mode: str = "perfect") -> None:
        self.mode = mode

    def encode(self, crop):
        return crop

    def landmarks(self, code):
        return centroids(code[None])[0]

    def detect(self, crops):
        return centroids(np.asarray(crops))

    def decode(self, code, landmarks):
        base = self.landmarks(code)
        if self.mode == "perfect":
            return np.stack([render(p) for p in landmarks])
        if self.mode == "ignore":
            return np.stack([render(base) for _ in landmarks])
        # "shift": the whole image moves by the mean move of the landmarks
        shifts = (landmarks - base[None]).mean(1)
        return np.stack([render(base + s[None]) for s in shifts])


def test_a_perfect_editor_moves_the_landmark_all_the_way_and_nothing_else():
    single, translation, per_landmark = measure_edits(BlobModel(), [render(START)], moves_px=(2.0, 4.0))
    for f in single:
        assert f.along == pytest.approx(1.0, abs=0.02) and f.others < 0.02 and f.across < 0.02
        assert f.edits == K * 4
    assert all(t.along == pytest.approx(1.0, abs=0.02) and np.isnan(t.others) for t in translation)
    assert np.allclose(per_landmark, 1.0, atol=0.02)


def test_an_editor_that_shifts_the_whole_image_moves_everything():
    single, translation, _ = measure_edits(BlobModel("shift"), [render(START)], moves_px=(6.0,))
    # Moving one of K landmarks by d shifts the image by d / K: the moved one and the others both go d / K.
    assert single[0].along == pytest.approx(1 / K, abs=0.02)
    assert single[0].others == pytest.approx(1 / K, abs=0.02)
    assert translation[0].along == pytest.approx(1.0, abs=0.02)


def test_an_editor_that_ignores_the_landmarks_scores_zero():
    single, translation, _ = measure_edits(BlobModel("ignore"), [render(START)], moves_px=(4.0,), landmarks=[1])
    assert abs(single[0].along) < 1e-9 and single[0].others < 1e-9 and abs(translation[0].along) < 1e-9
    assert single[0].edits == 4


def test_move_figures_on_numbers():
    ref = np.zeros((1, 2, 2))
    edited = np.array([[[3.0, 1.0], [0.0, 2.0]]]) / 10  # crop of 10 px: landmark 0 went (3, 1), 1 went (0, 2)
    along, across, others = move_figures(ref, edited, np.array([[True, False]]), np.array([[4.0, 0.0]]), 10)
    assert along[0] == pytest.approx(0.75) and across[0] == pytest.approx(0.25) and others[0] == pytest.approx(0.5)
    with pytest.raises(InputError):
        move_figures(ref, edited, np.array([[True, False]]), np.zeros((1, 2)), 10)


def test_bad_requests_are_refused():
    with pytest.raises(InputError, match="indices"):
        measure_edits(BlobModel(), [render(START)], landmarks=[K])
    with pytest.raises(InputError, match="> 0"):
        measure_edits(BlobModel(), [render(START)], moves_px=(0.0,))
    with pytest.raises(InputError, match="at least one"):
        measure_edits(BlobModel(), [])


def test_sharpness_compares_gradient_energy():
    image = np.zeros((20, 20, 3), np.uint8)
    image[:, 10:] = 200
    half = image // 2  # half the contrast: a quarter of the squared gradient
    assert sharpness_ratio(image[None], image[None]) == pytest.approx(1.0)
    assert sharpness_ratio(half[None], image[None]) == pytest.approx(0.25)
    blurred = np.stack([np.convolve(r, np.ones(5) / 5, mode="same") for r in image[..., 0].astype(float)])
    blurred = np.repeat(blurred[..., None], 3, -1).round().astype(np.uint8)
    assert gradient_energy(blurred)[0] < gradient_energy(image)[0]
    with pytest.raises(InputError, match="flat"):
        sharpness_ratio(image[None], np.zeros_like(image)[None])
    with pytest.raises(InputError, match="shape"):
        sharpness_ratio(image[None], image[None, :10])


def test_blur_reference_falls_with_the_blur():
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (3, 32, 32, 3), dtype=np.uint8)
    images = np.repeat(images[..., :1], 3, -1)  # grey, so the blur acts on the grey level unmixed
    scale = blur_reference(images, [0.3, 1.0, 2.0])
    assert list(scale) == [0.3, 1.0, 2.0]
    assert 1.0 > scale[0.3] > scale[1.0] > scale[2.0] > 0.0
    assert scale[0.3] > 0.5  # a 0.3 px blur keeps most of it
    assert scale[2.0] < 0.05  # white noise loses almost all its gradient energy to a 2 px blur
    with pytest.raises(InputError, match="sigmas"):
        blur_reference(images, [0.0])


def test_sharpness_over_a_region_and_the_landmarks_box():
    image = np.zeros((20, 20, 3), np.uint8)
    image[:, 10:] = 200  # an edge between columns 9 and 10
    decoded = image.copy()
    decoded[:, :5] = 0  # unchanged; then a second, softer edge appears on the right only in the decoded image
    decoded[:, 15:] = 100
    left = np.zeros((1, 20, 20), bool)
    left[:, :, :13] = True
    assert sharpness_ratio(decoded[None], image[None], left) == pytest.approx(1.0)
    assert sharpness_ratio(decoded[None], image[None]) > 1.0
    with pytest.raises(InputError, match="flat"):  # no edge of the input lies right of column 14
        right = np.zeros_like(left)
        right[:, :, 14:] = True
        sharpness_ratio(decoded[None], image[None], right)
    with pytest.raises(InputError, match="region"):
        sharpness_ratio(image[None], image[None], left[:, :10])

    # Two landmarks at pixels (4, 6) and (12, 10) of a 20 px crop: a box 8 wide, widened by 0.25 * 8 = 2.
    points = (np.array([[[4.0, 6.0], [12.0, 10.0]]]) + 0.5) / 20
    box = landmark_box_mask(points, 20, margin=0.25)
    rows, cols = np.nonzero(box[0])
    assert (rows.min(), rows.max(), cols.min(), cols.max()) == (4, 12, 2, 14)
    assert landmark_box_mask(points, 20, margin=0.0)[0].sum() == 5 * 9
