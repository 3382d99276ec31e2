"""The tracker's per-frame path: the same numbers as the detector, and nothing allocated per frame."""

import tracemalloc

import numpy as np
import pytest

from lmsdk.geometry import Box, CropScratch, crop_resize
from lmsdk.runtime import Detector, Tracker, TrackerConfig, TrackState
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


def _traced_growth(tracker: Tracker, frames: list[np.ndarray], indices: range) -> int:
    """Bytes still held (traced) after tracking ``frames`` at ``indices``."""
    before = tracemalloc.get_traced_memory()[0]
    for i in indices:
        tracker.update(frames[i % len(frames)], i / 30)
    return tracemalloc.get_traced_memory()[0] - before


def test_tracking_allocates_nothing_per_frame_after_warm_up(artifact, frames):
    """After warm-up no frame makes a crop-sized buffer, and nothing accumulates.

    Warm-up lasts until the traced memory stops growing: onnxruntime keeps about 120 bytes per
    ``run_with_iobinding`` call for its first calls in a process (its own bounded cache; docs/testing.md), so
    how long it takes depends on what ran before in the same process.
    """
    tracker = Tracker(Detector(artifact), TrackerConfig(min_confidence=0.0, relative_confidence=0.0))
    warm = 0
    tracemalloc.start()
    try:
        for _ in range(20):  # at most 1,000 frames
            growth = _traced_growth(tracker, frames, range(warm, warm + 50))
            warm += 50
            if growth < 50 * 16:
                break
        else:
            pytest.fail(f"the traced memory still grows by {growth} bytes per 50 frames after {warm} frames")
        base = tracemalloc.get_traced_memory()[0]
        worst = 0
        for i in range(warm, warm + 300):
            held = tracemalloc.get_traced_memory()[0]
            tracemalloc.reset_peak()
            result = tracker.update(frames[i % len(frames)], i / 30)
            worst = max(worst, tracemalloc.get_traced_memory()[1] - held)
            assert result.state == TrackState.TRACKING  # the per-frame path, never a search
        current = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    crop_bytes = 3 * Detector(artifact).manifest.input.crop_size ** 2  # one uint8 crop
    assert worst < crop_bytes, (worst, crop_bytes)  # no crop-sized buffer is made per frame
    assert current - base < 300 * 16, current - base  # nothing accumulates
