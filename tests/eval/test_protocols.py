"""The Human3.6M variant, few-shot curves and attribute SVMs, on cases with known answers."""

import numpy as np
import pytest

from lmsdk.eval.attributes import attribute_accuracy
from lmsdk.eval.fewshot import few_shot_curve
from lmsdk.eval.h36m import evaluate_h36m, looks_frontal, swap_left_right

PAIRS = [(0, 1), (2, 3)]


def _bodies(n, rng):
    """Frontal bodies: left-side points (0, 2) to the image-right of right-side points (1, 3)."""
    centre = rng.uniform(0.4, 0.6, (n, 1, 2))
    shape = np.array([[0.1, 0.0], [-0.1, 0.0], [0.12, 0.3], [-0.12, 0.3], [0.0, -0.2]])
    return centre + shape * rng.uniform(0.8, 1.2, (n, 1, 1))


def test_swap_and_frontal_rule_by_hand():
    a = np.array([[[0.6, 0.5], [0.4, 0.5], [0.62, 0.8], [0.38, 0.8], [0.5, 0.3]]])
    assert looks_frontal(a, PAIRS).all()
    s = swap_left_right(a, PAIRS)
    assert np.array_equal(s[0, 0], a[0, 1]) and np.array_equal(s[0, 4], a[0, 4])
    assert not looks_frontal(s, PAIRS).any()


def test_h36m_takes_the_minimum_over_the_swapped_annotation():
    rng = np.random.default_rng(0)
    truth = _bodies(300, rng)
    discovered = truth.copy()  # landmarks that cannot tell front from back: always the frontal layout
    labels = truth.copy()
    back = rng.random(300) < 0.4  # seen from the back: the annotation has left and right exchanged
    labels[back] = swap_left_right(truth[back], PAIRS)
    result = evaluate_h36m(discovered[:200], labels[:200], discovered[200:], labels[200:], PAIRS)
    assert result.mean_error < 1e-9  # the swap rule explains every back view
    from lmsdk.eval import evaluate_regression

    plain = evaluate_regression(discovered[:200], labels[:200], discovered[200:], labels[200:], (0, 1))
    assert plain.mean_error > 0.05


def test_h36m_error_is_a_fraction_of_the_image_side():
    rng = np.random.default_rng(1)
    truth = _bodies(100, rng)
    shifted = truth.copy()
    shifted[50:] += np.array([0.03, 0.04])  # test annotations off by 0.05 of the image side
    result = evaluate_h36m(truth[:50], truth[:50], truth[50:], shifted[50:], PAIRS)
    assert result.mean_error == pytest.approx(0.05, abs=0.01)


def test_few_shot_error_falls_with_more_labels():
    rng = np.random.default_rng(2)
    annotated = rng.uniform(0.3, 0.7, (2000, 5, 2))
    discovered = annotated + rng.normal(0, 0.02, annotated.shape)
    curve = few_shot_curve(
        discovered[:1500], annotated[:1500], discovered[1500:], annotated[1500:], (0, 1), sizes=(5, 20, 100, 1500)
    )
    assert [p.labels for p in curve] == [5, 20, 100, 1500]
    # 5 images < 2K = 10 unknowns per output: the minimum-norm fit is kept and shows as a poor point
    assert curve[0].mean > curve[1].mean > curve[2].mean > curve[3].mean
    assert curve[0].draws == 20 and curve[3].draws == 3 and curve[3].std >= 0
    skipped = few_shot_curve(
        discovered[:100], annotated[:100], discovered[100:], annotated[100:], (0, 1), sizes=(50, 200)
    )
    assert [p.labels for p in skipped] == [50]  # sizes above the fit set are skipped


def test_attribute_svm_beats_majority_when_geometry_decides():
    rng = np.random.default_rng(3)
    points = rng.uniform(0.3, 0.7, (600, 4, 2))
    labels = np.where(points[:, 3, 1] - points[:, 2, 1] > 0.0, 2, 1)  # e.g. "mouth open" from two points
    labels[:20] = -1  # unknown: dropped
    result = attribute_accuracy("open", points[:400], labels[:400], points[400:], labels[400:])
    assert result.accuracy > 0.9 > result.majority
    assert result.n_train == 380
    with pytest.raises(ValueError, match="two classes"):
        attribute_accuracy("one", points[:10], np.ones(10, int), points[:10], np.ones(10, int))
