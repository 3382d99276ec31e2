"""The held-out split of one annotated list into a fit part and a test part.

``lmsdk eval`` makes this split when fit and test name the same data, and MTFL's ``#fit`` / ``#test`` select
it for training, so a model trained on the fit part is measured on faces it never saw.
"""

from __future__ import annotations

import numpy as np

FIT_FRACTION = 0.8  # the share of a list in its fit part (8,000 of MTFL's 10,000)
SPLIT_SEED = 0


def fit_test_partition(count: int, fit_count: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``(fit, test)`` index arrays into a list of ``count`` items: a random permutation (seed 0) cut after
    ``fit_count`` items (default 80 %)."""
    order = np.random.default_rng(SPLIT_SEED).permutation(count)
    n_fit = int(FIT_FRACTION * count) if fit_count is None else fit_count
    return order[:n_fit], order[n_fit:]
