"""A regularised map from discovered to annotated landmarks for few labels: ridge regression with an unpenalised
bias, its strength chosen by cross-validation on the labelled images themselves.

Why: the paper's bias-free least squares (:mod:`lmsdk.eval.regression`) has 2K unknowns per output coordinate.
With about 2K labelled images it is exactly determined and interpolates the annotation noise (on MTFL with
K = 10 it reaches 224 % error with 20 labelled faces, docs/results.md). Ridge shrinks the map towards the
labelled images' mean shape (the bias is not penalised), so with a handful of labels it predicts about the
mean shape plus what the landmarks reliably tell, and with many labels the chosen strength falls and the fit
approaches least squares with a bias. ``lmsdk export --labels`` folds this fit into the detector;
``lmsdk eval`` keeps the paper's fit unless told otherwise (``--regressor ridge``).

The strength is relative: ``alpha * trace(X'X) / 2K`` for centred inputs ``X``, so the grid does not depend
on how much the landmarks move. It is chosen by k-fold cross-validation (5 folds, fewer for fewer images)
on the mean Euclidean point error; ties go to the stronger regularisation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lmsdk.errors import DataError

ALPHAS = tuple(float(a) for a in np.logspace(-6, 3, 19))  # relative strengths tried
FOLDS = 5


@dataclass(frozen=True)
class RidgeFit:
    """``annotated = (discovered - 0.5) @ weights + bias + 0.5`` on flattened ``(x, y)`` rows."""

    weights: np.ndarray  # (2K, 2P)
    bias: np.ndarray  # (2P,)
    alpha: float  # the relative strength chosen
    cv_error: float  # its cross-validated mean point error (normalised crop units); NaN when not validated

    def apply(self, discovered: np.ndarray) -> np.ndarray:
        """``(N, K, 2)`` normalised discovered landmarks -> ``(N, P, 2)`` normalised annotated points."""
        x = (np.asarray(discovered, np.float64) - 0.5).reshape(len(discovered), -1)
        return (x @ self.weights + self.bias).reshape(len(discovered), -1, 2) + 0.5


def _solve(x: np.ndarray, y: np.ndarray, alphas: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """Weights and bias of the ridge fit of ``y`` on ``x`` for each absolute strength (one SVD for all)."""
    mx, my = x.mean(0), y.mean(0)
    u, s, vt = np.linalg.svd(x - mx, full_matrices=False)
    uty = u.T @ (y - my)
    fits = []
    for alpha in alphas:
        w = vt.T @ ((s / (s**2 + alpha))[:, None] * uty)
        fits.append((w, my - mx @ w))
    return fits


def _scale(x: np.ndarray) -> float:
    centred = x - x.mean(0)
    return max(float((centred**2).sum()) / x.shape[1], 1e-12)


def _point_error(predicted: np.ndarray, target: np.ndarray) -> float:
    return float(np.linalg.norm((predicted - target).reshape(len(target), -1, 2), axis=-1).mean())


def fit_ridge_cv(
    discovered: np.ndarray,
    annotated: np.ndarray,
    *,
    alphas: tuple[float, ...] = ALPHAS,
    folds: int = FOLDS,
    seed: int = 0,
) -> RidgeFit:
    """Fit the ridge map on the images with every point annotated, choosing its strength by cross-validation.

    Args:
        discovered: ``(N, K, 2)`` normalised crop coordinates.
        annotated: ``(N, P, 2)`` normalised crop coordinates; rows with a missing (NaN) point, or all zero,
            are left out.

    Raises:
        DataError: no image has all its points annotated.
    """
    flat = np.asarray(annotated, np.float64).reshape(len(annotated), -1)
    keep = np.all(np.isfinite(flat), axis=1) & np.any(flat != 0, axis=1)
    if not keep.any():
        raise DataError("no labelled image has all its points annotated: nothing to fit the named points on")
    x = (np.asarray(discovered, np.float64)[keep] - 0.5).reshape(int(keep.sum()), -1)
    y = flat[keep] - 0.5
    n = len(x)
    relative = np.asarray(alphas, np.float64)
    absolute = relative * _scale(x)
    k = min(folds, n)
    if k < 3:  # too few images to validate anything: the strongest shrinkage, i.e. about the mean shape
        w, b = _solve(x, y, absolute[-1:])[0]
        return RidgeFit(w, b, float(relative[-1]), float("nan"))
    order = np.random.default_rng(seed).permutation(n)
    errors = np.zeros(len(relative))
    for fold in np.array_split(order, k):
        train = np.setdiff1d(order, fold)
        for i, (w, b) in enumerate(_solve(x[train], y[train], absolute)):
            errors[i] += _point_error(x[fold] @ w + b, y[fold]) * len(fold) / n
    best = int(np.flatnonzero(errors <= errors.min() * (1 + 1e-9)).max())  # ties: the stronger one
    w, b = _solve(x, y, absolute[best : best + 1])[0]
    return RidgeFit(w, b, float(relative[best]), float(errors[best]))
