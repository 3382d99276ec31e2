"""Edits made by moving the pixels themselves: the ceiling a detector sets on edit accuracy.

Edit accuracy (:mod:`lmsdk.eval.editing`) re-detects the landmarks on decoded edits, so ``along`` measures
the decoder and the detector together: a landmark the detector places from its neighbours as much as from
its own pixels moves only part of the way however well the decoder draws it. :class:`WarpEditModel` is the
:class:`~lmsdk.eval.editing.EditModel` whose "decoder" is a thin-plate-spline warp of the input crop that
carries each landmark's neighbourhood rigidly to where it is sent, with the landmarks not moved and the crop's
border pinned: a perfect local edit of the image. Measured with the same detector, its ``along`` is how far
that detector follows a landmark whose pixels really moved; a decoder that scores above it does so by
drawing for the detector (exaggerating what it keys on), not by editing more faithfully.

Coordinates: landmarks are normalised ``(x, y)`` in the crop (pixel centres at ``(i + 0.5) / S``); crops are
``(S, S, 3)`` BGR uint8, as in :mod:`lmsdk.eval.editing`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import cv2
import numpy as np
import torch

from lmsdk.ops.tps import apply_tps, fit_tps

# The crop's border stays put: its corners and edge midpoints are control points that map to themselves.
BORDER = np.array([[x, y] for x in (0.0, 0.5, 1.0) for y in (0.0, 0.5, 1.0) if (x, y) != (0.5, 0.5)])
RING_POINTS = 8  # control points on the circle that carries each landmark's neighbourhood rigidly
RING_FRACTION = 0.4  # its radius, as a fraction of the distance to the nearest other landmark


def rings(points: np.ndarray, radii: np.ndarray) -> np.ndarray:
    """``(K * RING_POINTS, 2)``: a circle of ``radii[k]`` around each of ``points (K, 2)``."""
    angles = np.linspace(0.0, 2 * np.pi, RING_POINTS, endpoint=False)
    circle = np.stack([np.cos(angles), np.sin(angles)], axis=1)  # (R, 2)
    return (points[:, None, :] + radii[:, None, None] * circle[None]).reshape(-1, 2)


def warp_crop(crop: np.ndarray, source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """``crop`` warped so that each landmark's neighbourhood moves rigidly from ``source (K, 2)`` to ``target
    (K, 2)`` (normalised points): a thin-plate spline through the landmarks, a circle around each (radius 0.4 of
    the distance to its nearest neighbour, carried with it) and the border (fixed); bilinear, reflected."""
    size = crop.shape[0]
    gaps = np.linalg.norm(source[:, None] - source[None], axis=-1)
    np.fill_diagonal(gaps, np.inf)
    radii = RING_FRACTION * gaps.min(axis=1) if len(source) > 1 else np.full(len(source), 0.1)
    shift = target - source
    moved = np.concatenate([target, rings(source, radii) + np.repeat(shift, RING_POINTS, axis=0), BORDER])
    still = np.concatenate([source, rings(source, radii), BORDER])
    controls = torch.from_numpy(moved[None].astype(np.float64))
    inverse = fit_tps(controls, torch.from_numpy(still[None].astype(np.float64)), regularization=1e-6)
    ys, xs = np.mgrid[0:size, 0:size].astype(np.float64)
    centres = (np.stack([xs.ravel(), ys.ravel()], axis=1) + 0.5) / size
    sampled = apply_tps(inverse, torch.from_numpy(centres[None]))[0].numpy() * size - 0.5  # input pixels
    map_x = sampled[:, 0].reshape(size, size).astype(np.float32)
    map_y = sampled[:, 1].reshape(size, size).astype(np.float32)
    return cv2.remap(crop, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)


class WarpEditModel:
    """:class:`~lmsdk.eval.editing.EditModel` whose edits warp the input crop (see the module docstring).

    Args:
        detect: ``(N, S, S, 3)`` BGR uint8 crops -> ``(N, K, 2)`` normalised landmarks (the detector measured).
        num_landmarks: K.
        size: S, the crop side in pixels.
    """

    def __init__(self, detect: Callable[[np.ndarray], np.ndarray], num_landmarks: int, size: int) -> None:
        self.detect, self.num_landmarks, self.size = detect, num_landmarks, size

    def encode(self, crop: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The crop and the landmarks the detector finds on it."""
        return crop, self.detect(crop[None])[0].astype(np.float64)

    def landmarks(self, code: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
        return code[1]

    def decode(self, code: tuple[np.ndarray, np.ndarray], landmarks: np.ndarray) -> np.ndarray:
        """``(N, S, S, 3)``: the crop warped from its own landmarks to each of ``landmarks (N, K, 2)``."""
        crop, own = code
        return np.stack([warp_crop(crop, own, target.astype(np.float64)) for target in landmarks])

    def reconstruct(self, crops: Sequence[np.ndarray]) -> np.ndarray:
        """The crops through the identity warp (what the sharpness figure compares with the inputs)."""
        codes = [self.encode(crop) for crop in crops]
        return np.stack([self.decode(code, code[1][None])[0] for code in codes])
