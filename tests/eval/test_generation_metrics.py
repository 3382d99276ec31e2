"""The generation figures on constructed images: a flat image scores each at its floor, real faces at the ceiling,
blurred faces in between; the face detector is a function passed in (here a stand-in: no MediaPipe needed)."""

import numpy as np
import pytest

from lmsdk.data import SyntheticFaces
from lmsdk.errors import InputError
from lmsdk.eval.editing import gradient_energy
from lmsdk.eval.generation import (
    FACE_SIDE,
    blurred_images,
    diversity,
    face_rate,
    flat_images,
    image_set_rows,
    in_groups,
    landmark_control,
    measure,
)

R, N, S = 8, 3, 48  # references, generations per reference, crop side


@pytest.fixture(scope="module")
def faces():
    """``(R, S, S, 3)`` BGR synthetic faces and their ``(R, 5, 2)`` normalised keypoints."""
    source = SyntheticFaces(S, R, seed=7)
    images = np.stack([np.ascontiguousarray(source.image(i)[:, :, ::-1]) for i in range(R)])
    return images, np.stack([source.keypoints(i) for i in range(R)])


def edges_as_faces(image: np.ndarray) -> bool:
    """A stand-in face detector: a face is an image with edges (0.028-0.070 gradient energy for these faces at
    128 px, 0.00004-0.0031 blurred, 0 flat)."""
    assert image.shape == (FACE_SIDE, FACE_SIDE, 3) and image.dtype == np.uint8
    return bool(gradient_energy(image)[0] > 0.01)


@pytest.fixture(scope="module")
def detector(faces):
    """A stand-in landmark detector: the keypoints of a reference it is shown, the mean shape for anything else
    (what a detector finds on a flat image)."""
    images, points = faces
    known = {im.tobytes(): p for im, p in zip(images, points, strict=True)}
    mean = points.mean(0)

    def detect(crops: np.ndarray) -> np.ndarray:
        return np.stack([known.get(c.tobytes(), mean) for c in crops])

    return detect


def test_a_flat_image_scores_every_figure_at_its_floor(faces, detector):
    references, conditions = faces
    grey = np.full((R, N, S, S, 3), 128, np.uint8)  # one flat image whatever the condition
    figures = measure(grey, references, conditions, detector, edges_as_faces)
    assert (figures.face_rate, figures.control, figures.diversity, figures.sharpness) == (0.0, 0.5, 0.0, 0.0)
    own_colour = np.repeat(flat_images(references)[:, None], N, axis=1)  # each reference's mean colour
    figures = measure(own_colour, references, conditions, detector, edges_as_faces)
    assert (figures.face_rate, figures.control, figures.diversity, figures.sharpness) == (0.0, 0.5, 0.0, 0.0)


def test_the_references_themselves_score_the_ceiling(faces, detector):
    references, conditions = faces
    copies = np.repeat(references[:, None], N, axis=1)
    figures = measure(copies, references, conditions, detector, edges_as_faces)
    assert (figures.face_rate, figures.control, figures.sharpness) == (1.0, 1.0, 1.0)
    assert figures.diversity == 0.0  # n copies of one image are not n faces


def test_the_rows_order_real_blurred_flat(faces, detector):
    references, conditions = faces
    rows = image_set_rows(references, conditions, N, detector, edges_as_faces)
    real, blurred, flat = rows["real"], rows["blurred"], rows["flat"]
    assert (real.face_rate, blurred.face_rate, flat.face_rate) == (1.0, 0.0, 0.0)
    assert real.control == 1.0 and flat.control == 0.5
    assert real.sharpness == 1.0 and 0 < blurred.sharpness < 0.2 and flat.sharpness == 0.0
    assert real.diversity > blurred.diversity > flat.diversity > 0  # different faces, then their colours only
    assert measure(references[:, None], references, conditions, detector).face_rate is None  # no face detector


def test_landmark_control_counts_pairs_and_ties():
    conditions = np.array([[[0.25, 0.25]], [[0.5, 0.5]], [[0.75, 0.75]]])  # R = 3 references, K = 1 (dyadic: exact)
    detected = np.array(
        [[[[0.25, 0.25]], [[0.625, 0.625]]], [[[0.5, 0.5]], [[0.5, 0.5]]], [[[0.625, 0.625]], [[0.5, 0.5]]]]
    )
    # reference 0: its first image lies on it (2 wins), its second is closer to 1 and to 2 (0 wins);
    # reference 1: both lie on it (4 wins); reference 2: 0.625 beats 0 and ties 1 (1.5), 0.5 ties 0 and loses to 1
    assert landmark_control(detected, conditions) == (2 + 0 + 4 + 1.5 + 0.5) / 12
    ignoring = np.broadcast_to(detected[2, 0], detected.shape)  # every image detected the same: 0.5 exactly
    assert landmark_control(ignoring, conditions) == 0.5
    with pytest.raises(InputError, match="at least 2 references"):
        landmark_control(detected[:1], conditions[:1])
    with pytest.raises(InputError, match=r"\(R, n, K, 2\)"):
        landmark_control(detected[:, 0], conditions)


def test_face_rate_counts_the_detectors_answers_at_128_px(faces):
    references, _ = faces
    answers = iter([True, False, True, True, False, False, False, True])
    seen = []

    def detector(image: np.ndarray) -> bool:
        seen.append(image.shape)
        return next(answers)

    assert face_rate(references, detector) == 0.5
    assert seen == [(FACE_SIDE, FACE_SIDE, 3)] * R
    with pytest.raises(InputError, match="uint8"):
        face_rate(references.astype(np.float32), detector)


def test_diversity_is_the_mean_pairwise_difference():
    a, b, c = (np.full((1, 4, 4, 3), v, np.uint8) for v in (0, 51, 255))
    assert diversity(np.stack([a, b, c], axis=1)) == pytest.approx((51 + 255 + 204) / 3 / 255)
    with pytest.raises(InputError, match="n >= 2"):
        diversity(a[:, None])


def test_the_floors_are_made_of_the_images(faces):
    references, _ = faces
    flat = flat_images(references)
    np.testing.assert_array_equal(flat[0, 5, 7], references[0].reshape(-1, 3).mean(0).round())
    assert np.ptp(flat[0].reshape(-1, 3), axis=0).max() == 0
    assert gradient_energy(blurred_images(references, 0.2)).mean() < gradient_energy(blurred_images(references)).mean()
    assert in_groups(references, 3).shape == (R // 3, 3, S, S, 3)
    with pytest.raises(InputError, match="n >= 2"):
        in_groups(references, 1)
