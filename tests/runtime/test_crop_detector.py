"""The tracker's per-frame path: the same numbers as the detector, and nothing allocated per frame."""

import tracemalloc

import numpy as np
import pytest

from lmsdk.geometry import Box, CropScratch, crop_resize
from lmsdk.runtime import Detector, Tracker
from lmsdk.runtime.crop_detector import CropDetector

BOXES = [Box(10, 5, 100, 100), Box(-40, -30, 260, 240), Box(30, 30, 20, 20), Box(150, 100, 90, 90), Box(0, 0, 7, 9)]


@pytest.fixture(scope="module")
def frames():
    from lmsdk.data.clips import ClipSpec, clip_frames

    return [frame for frame, _ in clip_frames(ClipSpec(width=200, height=150, frames=40, motion="drift"))]


def test_crop_detector_gives_the_detectors_numbers(artifact, frames):
    detector = Detector(artifact)
    fast = CropDetector(detector)
    for frame in frames[:5]:
        for box in BOXES:
            a, b = detector(frame, box), fast(frame, box)
            assert np.array_equal(a.points, b.points) and np.array_equal(a.confidence, b.confidence), box
            assert a.box == b.box


def test_a_crop_depends_on_the_box_not_on_the_rest_of_the_frame():
    """The area-averaged region follows the box: the same picture inside a bigger frame (placed on the
    averaging blocks) gives the same crop, and a reused scratch buffer changes nothing."""
    rng = np.random.default_rng(1)
    picture = rng.integers(0, 255, (120, 160, 3)).astype(np.uint8)
    canvas = np.zeros((400, 480, 3), np.uint8)
    canvas[96:216, 64:224] = picture
    scratch = CropScratch()
    for box in (Box(20, 10, 100, 90), Box(5, 7, 60, 61), Box(40, 30, 33, 30)):
        alone = crop_resize(picture, box, 16)
        moved = Box(box.left + 64, box.top + 96, box.width, box.height)
        assert np.array_equal(alone, crop_resize(canvas, moved, 16, scratch=scratch)), box
        out = np.empty((16, 16, 3), np.uint8)
        assert crop_resize(picture, box, 16, out=out) is out and np.array_equal(out, alone)


def test_tracking_allocates_nothing_per_frame_after_warm_up(artifact, frames):
    tracker = Tracker(Detector(artifact))
    for i in range(20):
        tracker.update(frames[i % len(frames)], i / 30)
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        for i in range(20, 320):
            tracker.update(frames[i % len(frames)], i / 30)
            if i == 20:
                tracemalloc.reset_peak()
        current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    crop_bytes = 3 * Detector(artifact).manifest.input.crop_size ** 2  # one uint8 crop
    # Measured: a few KB of peak (the frame's result objects) and about 1 byte of growth per frame.
    assert peak - base < crop_bytes, (peak - base, crop_bytes)  # no crop-sized buffer is made per frame
    assert current - base < 300 * 16  # nothing accumulates
