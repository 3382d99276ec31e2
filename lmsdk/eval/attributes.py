"""Attributes from landmarks (paper Sec. 4.3): a linear SVM per binary attribute on landmark coordinates."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lmsdk.errors import DataError


@dataclass(frozen=True)
class AttributeResult:
    name: str
    accuracy: float  # on the test split
    majority: float  # accuracy of always answering the most common training label
    n_train: int
    n_test: int


def attribute_accuracy(
    name: str,
    train_points: np.ndarray,
    train_labels: np.ndarray,
    test_points: np.ndarray,
    test_labels: np.ndarray,
    c: float = 1.0,
) -> AttributeResult:
    """Fit a linear SVM on ``(N, K, 2)`` landmarks (centred, standardised) and score it on the test split.

    Labels are any two values; entries outside them (e.g. -1 for unknown) are dropped.
    """
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import LinearSVC

    classes = np.unique(train_labels[train_labels >= 0])
    if len(classes) != 2:
        raise DataError(f"attribute {name!r} needs two classes in the training labels, found {classes.tolist()}")
    keep_train = np.isin(train_labels, classes)
    keep_test = np.isin(test_labels, classes)
    x_train = (train_points[keep_train] - 0.5).reshape(keep_train.sum(), -1)
    x_test = (test_points[keep_test] - 0.5).reshape(keep_test.sum(), -1)
    model = make_pipeline(StandardScaler(), LinearSVC(C=c, dual=False, max_iter=10_000))
    model.fit(x_train, train_labels[keep_train])
    accuracy = float((model.predict(x_test) == test_labels[keep_test]).mean())
    values, counts = np.unique(train_labels[keep_train], return_counts=True)
    majority = float((test_labels[keep_test] == values[np.argmax(counts)]).mean())
    return AttributeResult(name, accuracy, majority, int(keep_train.sum()), int(keep_test.sum()))
