"""Landmark tracking in video: detect in a crop, map back, smooth, and frame the next crop from the landmarks.

Per frame the tracker
    1. detects inside the current crop box (the first one is given, or found by a search),
    2. maps the landmarks back to the frame and smooths them (One Euro, timestamps, scale-normalised),
    3. derives the next box from the landmarks so that they sit in the crop where they sat on the training
       data (the artifact's ``framing``), which keeps the framing the model was trained on.
When the mean landmark confidence drops below a threshold, or every ``redetect_every`` frames, it
searches the frame again: candidate windows at several scales are scored by the model's own confidence
(any category, nothing to download). With nothing convincing it reports ``lost`` and keeps searching.
"""

from __future__ import annotations

import enum
import math
import time
from dataclasses import dataclass, field, replace

import numpy as np

from lmsdk.errors import ConfigError, InputError
from lmsdk.geometry import Box
from lmsdk.runtime.crop_detector import CropDetector
from lmsdk.runtime.detector import Detector, Landmarks
from lmsdk.runtime.filters import OneEuroFilter, SmoothingConfig
from lmsdk.runtime.inputs import as_box, as_image, as_timestamp, describe

SEARCHES = ("window", "full")


class TrackState(str, enum.Enum):
    SEARCHING = "searching"  # no box yet
    TRACKING = "tracking"
    LOST = "lost"  # the object is not found; the tracker searches every frame


@dataclass(frozen=True)
class TrackerConfig:
    smoothing: SmoothingConfig = field(default_factory=SmoothingConfig)
    min_confidence: float = 0.35  # mean landmark confidence under which a detection is not trusted
    # ... or under this fraction of the model's typical confidence on its training crops (the artifact's
    # framing), when that is lower: a model with broad detection maps is judged by its own standard
    relative_confidence: float = 0.5
    redetect_every: int = 0  # also search the whole frame every N frames (0: only when confidence drops)
    search_scales: tuple[float, ...] = (1.0, 0.8, 0.64, 0.5, 0.4, 0.32)  # window side / shorter frame side
    search_stride: float = 0.34  # window step, as a fraction of its side
    refine_steps: int = 2  # detect-and-reframe iterations after a search

    def __post_init__(self) -> None:
        for name in ("min_confidence", "relative_confidence"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and math.isfinite(value) and 0 <= value <= 1):
                raise ConfigError(f"{name} {value!r}: a confidence between 0 and 1")
        if isinstance(self.redetect_every, bool) or not isinstance(self.redetect_every, int) or self.redetect_every < 0:
            raise ConfigError(f"redetect_every {self.redetect_every!r}: a whole number of frames, 0 or more")
        if isinstance(self.refine_steps, bool) or not isinstance(self.refine_steps, int) or self.refine_steps < 0:
            raise ConfigError(f"refine_steps {self.refine_steps!r}: a whole number, 0 or more")
        scales_ok = bool(self.search_scales) and all(math.isfinite(s) and 0 < s <= 1 for s in self.search_scales)
        if not scales_ok or not (math.isfinite(self.search_stride) and 0 < self.search_stride <= 1):
            raise ConfigError("search needs at least one scale in (0, 1] and a stride in (0, 1]")


@dataclass(frozen=True)
class TrackResult:
    """One frame's outcome. ``points`` (and ``named``) are smoothed; NaN when the object is lost."""

    index: int
    timestamp: float  # seconds
    state: TrackState
    points: np.ndarray  # (K, 2) float32 smoothed (x, y) pixels of the frame
    raw_points: np.ndarray  # (K, 2) float32 unsmoothed
    confidence: np.ndarray  # (K,) float32
    box: Box | None  # the crop used for this frame
    inference_seconds: float  # time spent in the model (all windows of a search included)
    named: np.ndarray | None = None  # (P, 2) float32 smoothed pixels of the labelled points (artifacts with labels)
    names: tuple[str, ...] = ()  # (P,) their names

    @property
    def found(self) -> bool:
        return self.state == TrackState.TRACKING


class Tracker:
    """Stateful per-frame landmark tracker over a :class:`~lmsdk.runtime.Detector`.

    Args:
        detector: an opened detector.
        config: tracking and smoothing settings.
        box: the first crop (pixel-edge coordinates of the frame); None: search the first frame.
        search: ``"window"`` (confidence-scored window search) or ``"full"`` (the largest centred square of
            the frame) to find the object when there is no trusted box.
    """

    def __init__(
        self,
        detector: Detector,
        config: TrackerConfig = TrackerConfig(),
        *,
        box: Box | None = None,
        search: str = "window",
    ) -> None:
        if not isinstance(detector, Detector):
            raise InputError(f"detector is {describe(detector)}; pass a Detector, e.g. Tracker(Detector(artifact_dir))")
        if not isinstance(config, TrackerConfig):
            raise InputError(f"config is {describe(config)}; pass a TrackerConfig")
        if search not in SEARCHES:
            raise ConfigError(f"search {search!r}: one of {', '.join(SEARCHES)}")
        self.detector = detector
        self._crop_detector = CropDetector(detector)  # the per-frame path, allocation-free
        self.config = config
        self.initial_box = as_box(box)
        self.search = search
        framing = detector.manifest.framing
        self._framing = np.asarray(framing.mean, np.float64) if framing is not None else None
        self._reframe = None if self._framing is None else _reframing_solver(self._framing)
        self.min_confidence = config.min_confidence
        if framing is not None and framing.confidence is not None:
            self.min_confidence = min(config.min_confidence, config.relative_confidence * framing.confidence)
        self._filter = OneEuroFilter(config.smoothing)
        self._names = tuple(detector.named_points)
        self.reset()

    def reset(self) -> None:
        """Back to the state right after construction (filters cleared, box forgotten, frame count 0)."""
        self._filter.reset()
        self.box = self.initial_box
        self.state = TrackState.SEARCHING if self.initial_box is None else TrackState.TRACKING
        self.frames = 0
        self._last_time: float | None = None
        self._clock_start = time.monotonic()

    def set_smoothing(self, enabled: bool) -> None:
        """Switch smoothing on or off from the next frame on (the filter restarts)."""
        self.config = with_smoothing(self.config, enabled)
        self._filter = OneEuroFilter(self.config.smoothing)

    def update(self, frame: np.ndarray, timestamp: float | None = None) -> TrackResult:
        """Track one BGR uint8 frame.

        Args:
            frame: HxWx3 uint8 BGR (grey and BGRA accepted).
            timestamp: seconds (a file's own clock); None takes a monotonic clock.

        Raises:
            InputError: ``timestamp`` is not finite or does not increase (ImageError: ``frame`` is not an image).
        """
        frame = as_image(frame, "frame")
        if timestamp is None:
            timestamp = time.monotonic() - self._clock_start
        timestamp = as_timestamp(timestamp, self._last_time)
        self._last_time = timestamp
        index = self.frames
        self.frames += 1
        t0 = time.perf_counter()
        cfg = self.config
        periodic = cfg.redetect_every > 0 and index > 0 and index % cfg.redetect_every == 0
        found: Landmarks | None = None
        if self.box is not None and self.state != TrackState.LOST:
            found = self._crop_detector(frame, self.box)
        if found is None or found.score < self.min_confidence or periodic:
            candidate = self._search(frame)
            if candidate is not None and (found is None or candidate.score > found.score):
                found = candidate
        seconds = time.perf_counter() - t0
        k, names = self.detector.num_landmarks, self._names
        if found is None or found.score < self.min_confidence:
            self.state = TrackState.LOST
            self._filter.reset()
            nan = np.full((k, 2), np.nan, np.float32)
            conf = found.confidence if found is not None else np.zeros(k, np.float32)
            named = np.full((len(names), 2), np.nan, np.float32) if names else None
            box = found.box if found else None
            return TrackResult(index, timestamp, self.state, nan, nan, conf, box, seconds, named, names)
        self.state = TrackState.TRACKING
        # The named points ride in the same filter as the landmarks (one scale, one clock).
        raw = found.points if found.named is None else np.concatenate([found.points, found.named])
        smooth = self._filter(raw, timestamp, scale=found.box.width).astype(np.float32)
        used = found.box
        self.box = self._next_box(smooth[:k], found.box, frame.shape)
        named = smooth[k:] if names else None
        return TrackResult(
            index, timestamp, self.state, smooth[:k], found.points, found.confidence, used, seconds, named, names
        )

    # -- framing ----------------------------------------------------------------------------------------

    def _next_box(self, points: np.ndarray, current: Box, shape: tuple[int, ...]) -> Box:
        """The crop in which ``points`` would sit where the landmarks sat on the training crops."""
        if self._framing is None:
            x0, y0 = points.min(0)
            x1, y1 = points.max(0)
            side = max(x1 - x0, y1 - y0) / 0.6
            return Box.around((x0 + x1) / 2 + 0.5, (y0 + y1) / 2 + 0.5, max(side, 8.0))
        left, top, side = self._reframe @ (np.asarray(points, np.float64) + 0.5).reshape(-1)
        frame_side = float(max(shape[0], shape[1]))
        if not (np.isfinite(side) and 0.05 * frame_side < side < 3.0 * frame_side):
            return current
        return Box(float(left), float(top), float(side), float(side))

    def _search(self, frame: np.ndarray) -> Landmarks | None:
        """Find the object: score candidate windows by confidence, then re-frame from the best one's landmarks."""
        h, w = frame.shape[:2]
        if self.search == "full":
            boxes = [Box.centered_square(w, h)]
        else:
            boxes = _windows(w, h, self.config.search_scales, self.config.search_stride)
        best: Landmarks = max(self.detector.detect_boxes(frame, boxes), key=lambda r: r.score)
        for _ in range(self.config.refine_steps):
            box = self._next_box(best.points, best.box, frame.shape)
            if not box.overlaps(frame.shape[1], frame.shape[0]):
                break  # landmarks at the frame's edge can frame a box beyond it: keep the best found
            refined = self.detector(frame, box)
            if refined.score < best.score:
                break
            best = refined
        return best


def _reframing_solver(framing: np.ndarray) -> np.ndarray:
    """``(3, 2K)``: the least-squares solution of ``p_k + 0.5 = (left, top) + side * m_k`` for the box
    ``(left, top, side)`` in which landmarks ``p`` (pixels) sit where the training crops had them (``m``)."""
    k = len(framing)
    a = np.zeros((2 * k, 3))
    a[0::2, 0], a[1::2, 1] = 1.0, 1.0
    a[0::2, 2], a[1::2, 2] = framing[:, 0], framing[:, 1]
    return np.linalg.pinv(a)


def _windows(width: int, height: int, scales: tuple[float, ...], stride: float) -> list[Box]:
    """Square candidate windows covering the frame at each scale (always including the centred square)."""
    side0 = min(width, height)
    boxes = []
    for scale in scales:
        side = side0 * scale
        step = max(side * stride, 1.0)
        xs = np.arange(0.0, width - side + 1e-6, step) if width > side else np.array([0.0])
        ys = np.arange(0.0, height - side + 1e-6, step) if height > side else np.array([0.0])
        xs = np.unique(np.append(xs, width - side)) if width > side else xs
        ys = np.unique(np.append(ys, height - side)) if height > side else ys
        boxes += [Box(float(x), float(y), side, side) for y in ys for x in xs]
    return boxes


def with_smoothing(config: TrackerConfig, enabled: bool) -> TrackerConfig:
    """``config`` with smoothing switched on or off."""
    return replace(config, smoothing=replace(config.smoothing, enabled=enabled))
