"""The warp oracle on constructed detectors: it moves the pixels exactly, so it scores what the detector does."""

import numpy as np
import pytest

from lmsdk.eval.editing import editing_report, measure_edits
from lmsdk.eval.warp_edits import WarpEditModel, warp_crop
from tests.eval.test_editing_metrics import START, K, S, centroids, render


def test_the_warp_carries_a_landmark_s_pixels_where_it_is_sent_and_keeps_the_others():
    crop = render(START)
    target = START.copy()
    target[1] += (3.0 / S, -2.0 / S)
    warped = warp_crop(crop, START, target)
    found = centroids(warped[None])[0]
    assert np.abs((found - target) * S).max() < 0.25  # crop pixels
    unmoved = warp_crop(crop, START, START)
    assert np.abs(unmoved.astype(int) - crop.astype(int)).max() <= 1  # the identity warp resamples in place


def test_a_detector_that_reads_each_landmark_from_its_own_pixels_follows_the_warp_all_the_way():
    model = WarpEditModel(centroids, K, S)
    single, _, per_landmark = measure_edits(model, [render(START)], (2.0, 4.0))
    for figures in single:
        assert 0.93 < figures.along < 1.08 and figures.others < 0.03 and figures.across < 0.05
    assert all(0.93 < v < 1.08 for v in per_landmark)


def test_a_detector_with_a_shape_prior_caps_what_any_edit_can_score():
    """Landmarks read half from their own pixels, half from a fixed mean shape: a landmark moved by d is
    re-detected d / 2 along, whoever draws the edit: the ceiling is the detector's."""

    def with_prior(crops):
        return 0.5 * centroids(crops) + 0.5 * START

    single, _, _ = measure_edits(WarpEditModel(with_prior, K, S), [render(START)], (4.0,))
    assert abs(single[0].along - 0.5) < 0.04 and single[0].others < 0.03


def test_the_report_splits_sharpness_between_the_landmarks_box_and_the_rest():
    crops = [render(START)]
    exact = editing_report(WarpEditModel(centroids, K, S), crops, (4.0,))  # reconstructs the crops themselves
    assert exact.sharpness == exact.sharpness_face == exact.sharpness_rest == 1.0
    assert exact.reconstruction_error == 0.0

    class FaceOnly(WarpEditModel):
        """Reconstructs the landmarks' blobs exactly and drops what else the crop shows."""

        def reconstruct(self, crops):
            return np.stack([render(START) for _ in crops])

    with_bar = render(START)
    with_bar[S - 6 : S - 2, 2:12] = 200  # a grey bar far below the landmarks' box: background
    fixed = WarpEditModel(lambda c: np.repeat(START[None], len(c), axis=0), K, S)
    report = editing_report(FaceOnly(fixed.detect, K, S), [with_bar], (4.0,))
    assert report.sharpness_face == pytest.approx(1.0)
    assert report.sharpness_rest < 0.05 < report.sharpness < 0.5  # the bar holds most of the crop's gradient
    # the bar's 4 x 10 pixels at 200 are all the reconstruction misses
    assert report.reconstruction_error == pytest.approx(4 * 10 * 200 / (S * S * 255))
