"""The paper's landmark-regression protocol (Sec. 4.2), in numpy, exactly as the released MATLAB code.

Protocol "zhang2018":
    * Discovered landmarks (K points) and annotations (P points) are normalised ``(x, y)`` in ``[0, 1]`` of
      the crop, both shifted by -0.5 (centred).
    * One linear map ``W`` (2K x 2P) from all discovered coordinates to all annotated ones is fitted by
      plain least squares: **no bias, no regularisation**. Images whose annotations are all zero (the
      released code's "missing") are dropped; so are, from the fit only, images with any point missing
      (NaN), since least squares needs whole rows.
    * The error of an image is the mean Euclidean distance over its annotated points divided by the
      distance between two reference points (the eye centres for faces); the reported number is the
      mean over images, in percent.
Later papers use other protocols (ridge, bias, forward/backward errors), so every table lmsdk prints
names its protocol. ``regressor="ridge"`` swaps the fit for the cross-validated ridge of
:mod:`lmsdk.eval.ridge` (the one ``lmsdk export --labels`` uses) and names the result ``zhang2018-ridge``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lmsdk.errors import ConfigError, DataError

PROTOCOL = "zhang2018"
REGRESSORS = ("lstsq", "ridge")  # the paper's bias-free least squares; ridge with a bias, strength by CV


def _design(points: np.ndarray) -> np.ndarray:
    """``(N, K, 2)`` normalised points -> ``(N, 2K)`` centred rows ``[x1, y1, x2, y2, ...]``."""
    return (np.asarray(points, np.float64) - 0.5).reshape(len(points), -1)


def _valid_rows(annotations: np.ndarray) -> np.ndarray:
    """Images with every point annotated (and not the all-zero rows the released code skips): the fit set."""
    flat = np.asarray(annotations, np.float64).reshape(len(annotations), -1)
    return np.all(np.isfinite(flat), axis=1) & np.any(flat != 0, axis=1)


def testable_rows(annotations: np.ndarray, normalizer: tuple[int, int]) -> np.ndarray:
    """Images whose normalising points are annotated: scored over whichever points they have."""
    a = np.asarray(annotations, np.float64)
    flat = a.reshape(len(a), -1)
    both = np.isfinite(a[:, list(normalizer)]).all(axis=(1, 2))
    return both & np.any(np.nan_to_num(flat) != 0, axis=1)


def fit_regressor(discovered: np.ndarray, annotated: np.ndarray) -> np.ndarray:
    """Least-squares map from discovered to annotated landmarks, no bias.

    Args:
        discovered: ``(N, K, 2)`` normalised crop coordinates.
        annotated: ``(N, P, 2)`` normalised crop coordinates; rows with a missing (NaN) point are dropped.

    Returns:
        ``W`` of shape ``(2K, 2P)`` acting on centred coordinates.
    """
    keep = _valid_rows(annotated)
    if keep.sum() == 0:
        raise DataError("no labelled image has all its points annotated: nothing to fit the regressor on")
    x = _design(discovered[keep])
    y = _design(annotated[keep])
    w, *_ = np.linalg.lstsq(x, y, rcond=None)
    return w


def apply_regressor(w: np.ndarray, discovered: np.ndarray) -> np.ndarray:
    """Predict ``(N, P, 2)`` normalised annotated points from ``(N, K, 2)`` discovered ones."""
    return (_design(discovered) @ w).reshape(len(discovered), -1, 2) + 0.5


def normalized_errors(predicted: np.ndarray, annotated: np.ndarray, normalizer: tuple[int, int]) -> np.ndarray:
    """Per-point Euclidean error over the distance between annotated points ``normalizer``: ``(N, P)``."""
    dist = np.linalg.norm(np.asarray(predicted, np.float64) - annotated, axis=-1)
    a, b = normalizer
    scale = np.linalg.norm(annotated[:, a] - annotated[:, b], axis=-1)
    return dist / scale[:, None]


@dataclass(frozen=True)
class RegressionResult:
    """Errors of one fit / test split, as fractions (multiply by 100 for percent)."""

    protocol: str
    mean_error: float  # mean over test images of the per-image mean normalised error
    per_landmark: np.ndarray  # (P,) mean normalised error of each annotated point
    per_image: np.ndarray  # (N_test,) per-image mean normalised error
    baseline_error: float  # the mean shape of the fit set, predicted for every test image
    n_fit: int
    n_test: int

    def as_dict(self) -> dict[str, object]:
        return {
            "protocol": self.protocol,
            "mean_error": self.mean_error,
            "per_landmark": self.per_landmark.tolist(),
            "baseline_error": self.baseline_error,
            "n_fit": self.n_fit,
            "n_test": self.n_test,
        }


def fit_and_predict(
    fit_discovered: np.ndarray, fit_annotated: np.ndarray, discovered: np.ndarray, regressor: str = "lstsq"
) -> np.ndarray:
    """Fit ``regressor`` (:data:`REGRESSORS`) on one split and predict ``(N, P, 2)`` points for ``discovered``."""
    if regressor == "lstsq":
        return apply_regressor(fit_regressor(fit_discovered, fit_annotated), discovered)
    if regressor == "ridge":
        from lmsdk.eval.ridge import fit_ridge_cv

        return fit_ridge_cv(fit_discovered, fit_annotated).apply(discovered)
    raise ConfigError(f"unknown regressor {regressor!r}; one of {', '.join(REGRESSORS)}")


def evaluate_regression(
    fit_discovered: np.ndarray,
    fit_annotated: np.ndarray,
    test_discovered: np.ndarray,
    test_annotated: np.ndarray,
    normalizer: tuple[int, int],
    regressor: str = "lstsq",
) -> RegressionResult:
    """Fit on one split, test on another; also report the mean-shape baseline of the same split.

    ``regressor``: ``"lstsq"`` (the paper's, default) or ``"ridge"`` (:mod:`lmsdk.eval.ridge`).
    """
    if not _valid_rows(fit_annotated).any():
        raise DataError("no labelled image has all its points annotated: nothing to fit the regressor on")
    keep = testable_rows(test_annotated, normalizer)
    if not keep.any():
        raise DataError("no test image has its two normalising points annotated: nothing to score")
    predicted = fit_and_predict(fit_discovered, fit_annotated, test_discovered[keep], regressor)
    errors = normalized_errors(predicted, test_annotated[keep], normalizer)  # NaN where a point is missing
    mean_shape = np.nanmean(np.where(_valid_rows(fit_annotated)[:, None, None], fit_annotated, np.nan), axis=0)
    baseline = normalized_errors(
        np.broadcast_to(mean_shape, test_annotated[keep].shape), test_annotated[keep], normalizer
    )
    per_image = np.nanmean(errors, axis=1)
    return RegressionResult(
        PROTOCOL if regressor == "lstsq" else f"{PROTOCOL}-ridge",
        float(per_image.mean()),
        np.nanmean(errors, axis=0),
        per_image,
        float(np.nanmean(baseline, axis=1).mean()),
        int(_valid_rows(fit_annotated).sum()),
        int(keep.sum()),
    )
