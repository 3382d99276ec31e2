"""Evaluation: the paper's landmark-regression protocol and helpers to run models over datasets."""

from lmsdk.eval.regression import (
    PROTOCOL,
    RegressionResult,
    apply_regressor,
    evaluate_regression,
    fit_regressor,
    normalized_errors,
)

__all__ = [
    "PROTOCOL",
    "RegressionResult",
    "apply_regressor",
    "evaluate_regression",
    "fit_regressor",
    "normalized_errors",
]
