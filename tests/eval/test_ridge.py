"""The regularised map for named points: steady with few labels, least squares (with a bias) with many."""

import numpy as np
import pytest

from lmsdk.errors import DataError
from lmsdk.eval.fewshot import few_shot_curve
from lmsdk.eval.regression import evaluate_regression
from lmsdk.eval.ridge import ALPHAS, fit_ridge_cv


def _faces(n: int, k: int = 10, noise: float = 0.01, seed: int = 0):
    """Annotated points that are a noisy linear function (with an offset) of K discovered landmarks."""
    rng = np.random.default_rng(seed)
    discovered = 0.5 + rng.normal(0, 0.05, (n, k, 2))
    mix = rng.normal(0, 0.3, (2 * k, 10))
    annotated = ((discovered - 0.5).reshape(n, -1) @ mix).reshape(n, 5, 2) + 0.45
    return discovered, annotated + rng.normal(0, noise, annotated.shape)


def test_with_many_labels_ridge_is_least_squares_with_a_bias():
    discovered, annotated = _faces(2000, noise=0.0)
    fit = fit_ridge_cv(discovered, annotated)
    assert fit.alpha == ALPHAS[0]  # the weakest strength wins on exact data
    assert np.abs(fit.apply(discovered) - annotated).max() < 1e-4
    assert np.allclose(fit.bias.reshape(5, 2), -0.05, atol=1e-4)  # the offset the bias-free fit cannot represent


def test_at_the_interpolation_peak_ridge_stays_near_the_mean_shape_and_least_squares_does_not():
    # 2K = 20 unknowns per coordinate and 20 labelled images: the bias-free fit interpolates the noise.
    discovered, annotated = _faces(3000, noise=0.03)
    fit_d, fit_a, test_d, test_a = discovered[:20], annotated[:20], discovered[1000:], annotated[1000:]
    paper = evaluate_regression(fit_d, fit_a, test_d, test_a, (0, 1))
    ridge = evaluate_regression(fit_d, fit_a, test_d, test_a, (0, 1), regressor="ridge")
    assert ridge.protocol == "zhang2018-ridge" and paper.protocol == "zhang2018"
    assert ridge.mean_error < 0.5 * paper.mean_error, (ridge.mean_error, paper.mean_error)
    assert ridge.mean_error < 1.1 * ridge.baseline_error


def test_both_curves_on_the_same_draws():
    discovered, annotated = _faces(1200, noise=0.03)
    args = (discovered[:800], annotated[:800], discovered[800:], annotated[800:], (0, 1), (5, 20, 800))
    paper, ridge = few_shot_curve(*args), few_shot_curve(*args, regressor="ridge")
    assert [p.labels for p in paper] == [p.labels for p in ridge] == [5, 20, 800]
    assert ridge[1].mean < paper[1].mean  # the peak at 2K
    assert ridge[2].mean <= 1.05 * paper[2].mean  # many labels: no worse (here better: the data has an offset)


def test_tiny_or_unlabelled_fit_sets():
    discovered, annotated = _faces(2)
    fit = fit_ridge_cv(discovered, annotated)  # too few to validate: the strongest shrinkage (the mean shape)
    assert np.isnan(fit.cv_error) and np.allclose(fit.apply(discovered).mean(0), annotated.mean(0), atol=1e-3)
    annotated[:] = np.nan
    with pytest.raises(DataError, match="no labelled image"):
        fit_ridge_cv(discovered, annotated)
