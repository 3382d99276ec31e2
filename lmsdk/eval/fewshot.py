"""Few-shot curves (paper App. F.1): the regression error against the number of labelled images."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lmsdk.eval.regression import _valid_rows, evaluate_regression

DEFAULT_SIZES = (10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 8000)


@dataclass(frozen=True)
class FewShotPoint:
    labels: int
    mean: float  # mean test error over the draws
    std: float
    draws: int


def few_shot_curve(
    fit_discovered: np.ndarray,
    fit_annotated: np.ndarray,
    test_discovered: np.ndarray,
    test_annotated: np.ndarray,
    normalizer: tuple[int, int],
    sizes: tuple[int, ...] = DEFAULT_SIZES,
    seed: int = 0,
    regressor: str = "lstsq",
) -> list[FewShotPoint]:
    """Test error when the regressor sees ``n`` random labelled images, for each ``n`` of ``sizes``.

    Draws are taken from the images with every point annotated; sizes above their number are skipped; small
    sizes are drawn more often (20 draws up to 100 images, 10 up to 1,000, 3 beyond). With the paper's fit
    (``regressor="lstsq"``), below ``2K`` labelled images the bias-free fit is underdetermined (numpy's least
    squares returns the minimum-norm solution) and near ``2K`` it interpolates noise: the curve shows both, as
    they are. ``regressor="ridge"`` gives the curve of the regularised fit that ``lmsdk export --labels`` uses
    (the same draws for the same ``seed``).
    """
    rng = np.random.default_rng(seed)
    labelled = np.flatnonzero(_valid_rows(fit_annotated))
    points = []
    for n in sizes:
        if n < 1 or n > len(labelled):
            continue
        draws = 20 if n <= 100 else 10 if n <= 1000 else 3
        errors = []
        for _ in range(draws):
            pick = rng.choice(labelled, n, replace=False)
            result = evaluate_regression(
                fit_discovered[pick], fit_annotated[pick], test_discovered, test_annotated, normalizer, regressor
            )
            errors.append(result.mean_error)
        points.append(FewShotPoint(n, float(np.mean(errors)), float(np.std(errors)), draws))
    return points
