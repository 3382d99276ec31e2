import numpy as np

from lmsdk.eval import apply_regressor, evaluate_regression, fit_regressor, normalized_errors


def test_exact_linear_map_gives_zero_error():
    rng = np.random.default_rng(0)
    annotated = rng.uniform(0.2, 0.8, (200, 5, 2))
    mix = rng.normal(size=(10, 10))
    # Discovered landmarks: an invertible linear map of the centred annotations (no bias).
    discovered = ((annotated - 0.5).reshape(200, 10) @ mix).reshape(200, 5, 2) + 0.5
    result = evaluate_regression(discovered[:150], annotated[:150], discovered[150:], annotated[150:], (0, 1))
    assert result.mean_error < 1e-10
    assert result.baseline_error > 0.05


def test_no_bias_term_is_fitted():
    # A constant offset cannot be represented without a bias: the fit must leave it as error.
    rng = np.random.default_rng(1)
    annotated = rng.uniform(0.3, 0.7, (100, 2, 2))
    discovered = annotated.copy()
    w = fit_regressor(discovered, annotated + 0.1)
    assert np.allclose(
        w, np.linalg.lstsq((discovered - 0.5).reshape(100, 4), (annotated + 0.1 - 0.5).reshape(100, 4), rcond=None)[0]
    )
    assert np.abs(apply_regressor(w, discovered) - (annotated + 0.1)).mean() > 1e-3


def test_interocular_normalisation_by_hand():
    gt = np.array([[[0.4, 0.5], [0.6, 0.5], [0.5, 0.6]]])  # eyes 0.2 apart
    pred = gt + np.array([[[0.02, 0.0], [0.0, 0.0], [0.0, 0.04]]])
    assert np.allclose(normalized_errors(pred, gt, (0, 1)), [[0.1, 0.0, 0.2]])


def test_missing_annotations_are_dropped_from_fit_and_test():
    rng = np.random.default_rng(2)
    annotated = rng.uniform(0.2, 0.8, (60, 3, 2))
    discovered = annotated.copy()
    annotated[5] = 0.0  # all-zero rows are "not annotated"
    annotated[50, 1] = np.nan
    result = evaluate_regression(discovered[:40], annotated[:40], discovered[40:], annotated[40:], (0, 1))
    assert result.n_fit == 39 and result.n_test == 19
    assert result.mean_error < 1e-10
