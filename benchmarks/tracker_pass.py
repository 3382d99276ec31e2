"""One pass of a tracker over a clip's frames in memory, timed per frame: what benchmarks/tracking.py and
benchmarks/steadiness.py record and measure."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lmsdk.runtime import Detector, Tracker, TrackerConfig, VideoSource


@dataclass
class Track:
    """One pass of a tracker over frames in memory."""

    ms: np.ndarray  # (T,) wall time of each update
    model_ms: np.ndarray  # (T,) the detector graph's share of it
    raw: np.ndarray  # (T, K, 2) unsmoothed points, NaN where lost
    smooth: np.ndarray  # (T, K, 2)
    boxes: list  # (T,) Box | None
    stamps: np.ndarray  # (T,) seconds
    named: np.ndarray | None = None  # (T, P, 2) the artifact's named points as the tracker reports them


def load_frames(path: Path, limit: int | None = None) -> tuple[list[np.ndarray], np.ndarray]:
    """A clip's frames (BGR, the first ``limit``) and their timestamps ``(T,)`` in seconds."""
    frames, stamps = [], []
    with VideoSource(path) as video:
        for frame in video:
            frames.append(frame.image)
            stamps.append(frame.timestamp)
            if limit and len(frames) >= limit:
                break
    return frames, np.asarray(stamps)


def track_frames(
    detector: Detector, frames: list[np.ndarray], stamps: np.ndarray, config: TrackerConfig | None = None
) -> Track:
    """One tracker (``config``, default: what ``lmsdk track`` runs) over BGR frames in memory, timed per frame."""
    tracker = Tracker(detector, config or TrackerConfig())
    ms, model_ms, raw, smooth, boxes, named = [], [], [], [], [], []
    for image, stamp in zip(frames, stamps, strict=True):
        t = time.perf_counter()
        result = tracker.update(image, float(stamp))
        ms.append(1000 * (time.perf_counter() - t))
        model_ms.append(1000 * result.inference_seconds)
        raw.append(result.raw_points)
        smooth.append(result.points)
        boxes.append(result.box)
        named.append(result.named)
    points = np.asarray(named) if named and named[0] is not None else None
    return Track(np.asarray(ms), np.asarray(model_ms), np.asarray(raw), np.asarray(smooth), boxes, stamps, points)
