"""Valid but odd inputs work: grey and BGRA images (arrays and PNG files), 1x1 and 8000x8000 images, mixed
sizes in a batch, views with negative or odd strides, Fortran order, a 4-D batch, boxes partly outside."""

import cv2
import numpy as np
import pytest

from lmsdk.data import SyntheticFaces
from lmsdk.runtime import Box, Detector, ShapeEditor, Tracker


@pytest.fixture(scope="module")
def detector(artifact):
    return Detector(artifact)


@pytest.fixture(scope="module")
def face():
    return np.ascontiguousarray(SyntheticFaces(64, 1, seed=11).image(0)[:, :, ::-1])  # BGR, like cv2.imread


def _finite(result) -> bool:
    return result.points.shape == (8, 2) and np.isfinite(result.points).all() and np.isfinite(result.confidence).all()


def test_grey_and_bgra_arrays_are_converted_at_the_boundary(detector, face):
    grey = cv2.cvtColor(face, cv2.COLOR_BGR2GRAY)
    as_bgr = detector(cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR))
    for image in (grey, grey[:, :, None], cv2.cvtColor(grey, cv2.COLOR_GRAY2BGRA)):
        result = detector(image)
        assert _finite(result)
        np.testing.assert_allclose(result.points, as_bgr.points, atol=1e-4)
    bgra = cv2.cvtColor(face, cv2.COLOR_BGR2BGRA)
    np.testing.assert_allclose(detector(bgra).points, detector(face).points, atol=1e-4)


def test_grey_and_rgba_png_files_read_unchanged(detector, face, tmp_path):
    cv2.imwrite(str(tmp_path / "grey.png"), cv2.cvtColor(face, cv2.COLOR_BGR2GRAY))
    cv2.imwrite(str(tmp_path / "rgba.png"), cv2.cvtColor(face, cv2.COLOR_BGR2BGRA))
    for name in ("grey.png", "rgba.png"):
        image = cv2.imread(str(tmp_path / name), cv2.IMREAD_UNCHANGED)
        assert image.ndim == 2 or image.shape[2] == 4
        assert _finite(detector(image))


@pytest.mark.parametrize("shape", [(1, 1, 3), (1, 500, 3), (8000, 8000, 3)], ids=["1x1", "1x500", "8000x8000"])
def test_tiny_and_huge_images(detector, shape):
    image = np.zeros(shape, np.uint8)
    image[::7, ::5] = 200
    assert _finite(detector(image))


def test_views_with_odd_strides_give_the_contiguous_copy_result(detector, face):
    for view in (face[:, ::-1], face[::-1], face[10:50, 5:60], face[::2, ::2], np.asfortranarray(face)):
        assert not view.flags["C_CONTIGUOUS"] or view is not face
        np.testing.assert_allclose(detector(view).points, detector(np.ascontiguousarray(view)).points, atol=1e-5)


def test_mixed_sizes_a_4d_batch_and_an_empty_batch(detector, face):
    images = [face, cv2.resize(face, (100, 37)), np.zeros((5, 9, 3), np.uint8)]
    results = detector.batch(images)
    assert len(results) == 3 and all(_finite(r) for r in results)
    np.testing.assert_allclose(results[0].points, detector(face).points, atol=1e-5)
    batch = detector.batch(np.stack([face, face[::-1]]))
    assert isinstance(batch, list) and len(batch) == 2
    np.testing.assert_allclose(batch[1].points, detector(face[::-1]).points, atol=1e-5)
    assert detector.batch([]) == []


def test_boxes_partly_outside_the_image_and_per_image(detector, face):
    assert _finite(detector(face, Box(-20, -10, 60, 60)))
    results = detector.batch([face, face], [Box(0, 0, 64, 64), Box(10, 10, 30, 30)])
    assert results[1].box == Box(10, 10, 30, 30)
    several = detector.detect_boxes(face, [Box(0, 0, 64, 64), Box(10, 10, 30, 30)])  # one image, several boxes
    assert [r.box for r in several] == [r.box for r in results]
    np.testing.assert_allclose(several[1].points, results[1].points, atol=1e-5)


def test_editor_and_tracker_take_grey_frames_and_numpy_indices(artifact, face):
    grey = cv2.cvtColor(face, cv2.COLOR_BGR2GRAY)
    editor = ShapeEditor(artifact)
    edit = editor.edit(grey, {np.int64(1): (np.float32(2.0), 0)})
    assert edit.image.shape == (editor.size, editor.size, 3)
    assert len(editor.morph(grey, face[:, ::-1], 2)) == 2
    tracker = Tracker(Detector(artifact))
    for t in range(3):
        result = tracker.update(grey, t / 30)
    assert result.points.shape == (8, 2)
