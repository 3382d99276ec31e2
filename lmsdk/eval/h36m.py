"""The Human3.6M variant of the protocol (App. C.2): errors over the image side, and the minimum over the
original and the left-right swapped annotation, since unsupervised landmarks cannot tell a body's front
from its back.

The regressor is fitted as the paper describes: first on the images whose annotation looks frontal, then
repeatedly on all images, each with whichever of its two annotations (original or swapped) the current
regressor explains better, until the choice settles.
"""

from __future__ import annotations

import numpy as np

from lmsdk.eval.regression import RegressionResult, _valid_rows, apply_regressor, fit_regressor

PROTOCOL = "zhang2018-h36m"


def swap_left_right(annotated: np.ndarray, pairs: list[tuple[int, int]]) -> np.ndarray:
    """The annotation with every (left, right) pair of points exchanged, ``(N, P, 2)``."""
    out = annotated.copy()
    for a, b in pairs:
        out[:, [a, b]] = annotated[:, [b, a]]
    return out


def looks_frontal(annotated: np.ndarray, pairs: list[tuple[int, int]]) -> np.ndarray:
    """More than 2/3 of the left-side points lie to the right of their right-side partners (image x)."""
    left, right = [a for a, _ in pairs], [b for _, b in pairs]
    return (annotated[:, left, 0] > annotated[:, right, 0]).mean(axis=1) > 2 / 3


def _errors(w: np.ndarray, discovered: np.ndarray, annotated: np.ndarray) -> np.ndarray:
    # Image side = 1 in normalised coordinates: the error is a fraction of the image size.
    return np.linalg.norm(apply_regressor(w, discovered) - annotated, axis=-1).mean(axis=1)


def evaluate_h36m(
    fit_discovered: np.ndarray,
    fit_annotated: np.ndarray,
    test_discovered: np.ndarray,
    test_annotated: np.ndarray,
    pairs: list[tuple[int, int]],
    iterations: int = 10,
) -> RegressionResult:
    """Fit (frontal first, then with per-image flips) and test, normalising by the image side."""
    keep = _valid_rows(fit_annotated)
    fit_d, fit_a = fit_discovered[keep], fit_annotated[keep]
    swapped = swap_left_right(fit_a, pairs)
    frontal = looks_frontal(fit_a, pairs)
    w = fit_regressor(
        fit_d[frontal] if frontal.sum() >= 2 * fit_d.shape[1] else fit_d,
        fit_a[frontal] if frontal.sum() >= 2 * fit_d.shape[1] else fit_a,
    )
    choice = np.zeros(len(fit_a), bool)
    for _ in range(iterations):
        new = _errors(w, fit_d, swapped) < _errors(w, fit_d, fit_a)
        targets = np.where(new[:, None, None], swapped, fit_a)
        w = fit_regressor(fit_d, targets)
        if np.array_equal(new, choice):
            break
        choice = new
    keep_test = _valid_rows(test_annotated)
    test_d, test_a = test_discovered[keep_test], test_annotated[keep_test]
    err = np.minimum(_errors(w, test_d, test_a), _errors(w, test_d, swap_left_right(test_a, pairs)))
    predicted = apply_regressor(w, test_d)
    per_point = np.minimum(
        np.linalg.norm(predicted - test_a, axis=-1), np.linalg.norm(predicted - swap_left_right(test_a, pairs), axis=-1)
    )
    mean_shape = fit_a.mean(axis=0)
    base = np.minimum(
        np.linalg.norm(mean_shape - test_a, axis=-1).mean(1),
        np.linalg.norm(mean_shape - swap_left_right(test_a, pairs), axis=-1).mean(1),
    )
    return RegressionResult(
        PROTOCOL, float(err.mean()), per_point.mean(axis=0), err, float(base.mean()), len(fit_a), len(test_a)
    )
