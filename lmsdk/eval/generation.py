"""Whether generated faces are faces, measured by four figures that a flat image fails (numpy; any face detector).

Generations are ``(R, n, S, S, 3)`` BGR uint8 crops: n images drawn for each of R references, conditioned on
the landmarks ``conditions (R, K, 2)`` found on the references (normalised ``(x, y)`` in the crop frame,
:mod:`lmsdk.ops.coords`). The references are ``(R, S, S, 3)`` BGR uint8 crops.

- **Face-ness** (:func:`face_rate`): the share of images in which an independent face detector finds a face once
  the image is resized to :data:`FACE_SIDE` px. The detector is passed in as a function (one BGR uint8 image ->
  whether it holds a face), so lmsdk depends on none; ``benchmarks/generation.py`` passes MediaPipe's.
- **Landmark control** (:func:`landmark_control`): for every ordered pair of different references (a, b), whether
  the landmarks detected on a generation conditioned on a lie closer to a's landmarks than to b's (mean distance
  over the landmarks; a tie counts half), as a rate over generations and pairs. An image that ignores its
  condition (one image for every reference) scores exactly 0.5: each pair is won one way and lost the other.
- **Diversity** (:func:`diversity`): the mean absolute difference (pixel values in [0, 1]) between two images of
  one group (the generations of one reference), over the pairs and groups; 0 for one image drawn again and again.
- **Sharpness** (:func:`~lmsdk.eval.editing.sharpness_ratio`, the editing benchmark's): the gradient energy of the
  generations over that of their references; 0 for a flat image, 1 as sharp as the references.

:func:`image_set_rows` gives the same figures for the references themselves (the ceiling) and for two floors
made of them: :func:`flat_images` (each image's mean colour) and :func:`blurred_images` (a Gaussian blur of
:data:`BLUR_FRACTION` of the side). For these rows the diversity is measured over groups of n different
references, so that it reads beside the generations': flat < blurred < real.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from itertools import combinations
from typing import Any

import cv2
import numpy as np

from lmsdk.errors import InputError
from lmsdk.eval.editing import sharpness_ratio

FACE_SIDE = 128  # images are resized to this side before face detection (the face detector's input size)
BLUR_FRACTION = 0.1  # the blurred floor: Gaussian sigma as a fraction of the image side

FaceDetector = Callable[[np.ndarray], bool]  # one (H, W, 3) BGR uint8 image -> whether it holds a face
LandmarkDetector = Callable[[np.ndarray], np.ndarray]  # (N, S, S, 3) BGR uint8 -> (N, K, 2) normalised landmarks


def _images(images: Any, what: str = "images") -> np.ndarray:
    """``(N, H, W, 3)`` uint8 (any leading dimensions flattened into N)."""
    array = np.asarray(images)
    if array.dtype != np.uint8 or array.ndim < 4 or array.shape[-1] != 3:
        raise InputError(f"{what}: expected (..., H, W, 3) uint8 images, got {array.dtype} {array.shape}")
    return array.reshape(-1, *array.shape[-3:])


def face_rate(images: np.ndarray, detect_face: FaceDetector, side: int = FACE_SIDE) -> float:
    """The share of ``(..., H, W, 3)`` BGR uint8 images in which ``detect_face`` finds a face, each resized to
    ``side`` x ``side`` first (bilinear)."""
    flat = _images(images)
    if len(flat) == 0:
        raise InputError("face rate of no images")
    found = [bool(detect_face(cv2.resize(im, (side, side), interpolation=cv2.INTER_LINEAR))) for im in flat]
    return float(np.mean(found))


def landmark_control(detected: np.ndarray, conditions: np.ndarray) -> float:
    """The rate at which generations follow their own condition rather than another reference's.

    Args:
        detected: ``(R, n, K, 2)`` landmarks detected on the n generations of each reference (normalised).
        conditions: ``(R, K, 2)`` the references' landmarks the generations were conditioned on.

    Returns:
        The mean over references a, generations of a and references b != a of 1 where the generation's mean
        distance to a's landmarks is below that to b's, 0.5 where equal, 0 where above.
    """
    found, wanted = np.asarray(detected, np.float64), np.asarray(conditions, np.float64)
    if found.ndim != 4 or wanted.ndim != 3 or found.shape[0] != wanted.shape[0] or found.shape[2:] != wanted.shape[1:]:
        raise InputError(f"detected {found.shape} and conditions {wanted.shape}: expected (R, n, K, 2) and (R, K, 2)")
    r = len(wanted)
    if r < 2 or wanted.shape[-1] != 2:
        raise InputError(f"landmark control needs at least 2 references of (K, 2) landmarks, got {wanted.shape}")
    # distance[a, i, b]: generation i of reference a to reference b's landmarks (mean over landmarks)
    distance = np.linalg.norm(found[:, :, None] - wanted[None, None], axis=-1).mean(-1)  # (R, n, R)
    own = distance[np.arange(r), :, np.arange(r)][:, :, None]  # (R, n, 1)
    score = (own < distance) + 0.5 * (own == distance)  # (R, n, R)
    others = ~np.eye(r, dtype=bool)[:, None, :]  # b != a
    return float(score[np.broadcast_to(others, score.shape)].mean())


def diversity(groups: np.ndarray) -> float:
    """Mean absolute difference (pixel values in [0, 1]) between two images of one group, over every pair of every
    group of ``(G, n, H, W, 3)`` uint8 images (n >= 2)."""
    array = np.asarray(groups)
    if array.ndim != 5 or array.shape[1] < 2:
        raise InputError(f"diversity needs (G, n, H, W, 3) images with n >= 2, got shape {array.shape}")
    _images(array)
    pairs = combinations(range(array.shape[1]), 2)
    means = [np.abs(array[:, i].astype(np.float64) - array[:, j]).mean() for i, j in pairs]
    return float(np.mean(means) / 255.0)


def in_groups(images: np.ndarray, n: int) -> np.ndarray:
    """``(N, H, W, 3)`` -> ``(N // n, n, H, W, 3)``: consecutive images grouped (the last N mod n dropped)."""
    if n < 2 or len(images) < n:
        raise InputError(f"groups of {n} from {len(images)} images: need n >= 2 and at least n images")
    count = len(images) // n
    return np.asarray(images[: count * n]).reshape(count, n, *np.shape(images)[1:])


def flat_images(images: np.ndarray) -> np.ndarray:
    """Each of ``(N, H, W, 3)`` uint8 images replaced by its mean colour (the floor of every figure)."""
    flat = _images(images)
    return np.broadcast_to(flat.mean(axis=(1, 2), keepdims=True).round().astype(np.uint8), flat.shape).copy()


def blurred_images(images: np.ndarray, fraction: float = BLUR_FRACTION) -> np.ndarray:
    """``(N, H, W, 3)`` uint8 images under a Gaussian blur of standard deviation ``fraction`` of their width."""
    flat = _images(images)
    if not fraction > 0:
        raise InputError(f"blur fraction {fraction!r}: a fraction of the side > 0")
    sigma = fraction * flat.shape[2]
    return np.stack([cv2.GaussianBlur(im, (0, 0), sigma) for im in flat])


@dataclass(frozen=True)
class Figures:
    """The four figures of one set of images (None: not measured for that set)."""

    face_rate: float | None  # share of images with a face found (None: no face detector given)
    control: float  # landmark control, 0.5 for an image that ignores its condition
    diversity: float | None  # mean absolute difference between two images of a group, in [0, 1]
    sharpness: float  # gradient energy over the references'

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def measure(
    images: np.ndarray,
    references: np.ndarray,
    conditions: np.ndarray,
    detect_landmarks: LandmarkDetector,
    detect_face: FaceDetector | None = None,
    groups: np.ndarray | None = None,
) -> Figures:
    """The four figures of ``images (R, n, S, S, 3)`` BGR uint8 drawn for ``references (R, S, S, 3)`` with their
    landmarks ``conditions (R, K, 2)``.

    Args:
        detect_landmarks: the artifact's detector, ``(N, S, S, 3)`` BGR uint8 -> ``(N, K, 2)`` normalised.
        detect_face: the independent face detector (None: no face rate).
        groups: the ``(G, m, S, S, 3)`` groups the diversity is measured over (default ``images`` if n >= 2,
            else no diversity).
    """
    array = np.asarray(images)
    if array.ndim != 5 or len(array) != len(references):
        raise InputError(f"images {array.shape}: expected (R, n, S, S, 3) for {len(references)} references")
    r, n = array.shape[:2]
    detected = np.asarray(detect_landmarks(array.reshape(r * n, *array.shape[2:])))
    if groups is None and n >= 2:
        groups = array
    return Figures(
        face_rate=None if detect_face is None else face_rate(array, detect_face),
        control=landmark_control(detected.reshape(r, n, *detected.shape[1:]), conditions),
        diversity=None if groups is None else diversity(groups),
        sharpness=sharpness_ratio(array.reshape(r * n, *array.shape[2:]), np.repeat(references, n, axis=0)),
    )


def image_set_rows(
    references: np.ndarray,
    conditions: np.ndarray,
    n: int,
    detect_landmarks: LandmarkDetector,
    detect_face: FaceDetector | None = None,
) -> dict[str, Figures]:
    """The figures of the references themselves (``"real"``, the ceiling) and of the two floors made of them
    (``"blurred"``, ``"flat"``), each image standing for one generation of its own reference, the diversity over
    groups of ``n`` different references."""
    made = {"real": np.asarray(references), "blurred": blurred_images(references), "flat": flat_images(references)}
    return {
        name: measure(
            images[:, None], references, conditions, detect_landmarks, detect_face, groups=in_groups(images, n)
        )
        for name, images in made.items()
    }
