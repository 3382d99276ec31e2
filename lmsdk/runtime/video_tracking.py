"""Tracking a whole video: read, track, (edit), draw, write, show a window, log to CSV (``lmsdk track``'s loop).

:func:`track_video` runs a :class:`~lmsdk.runtime.Tracker` over a :class:`~lmsdk.video.VideoSource` and returns a
:class:`TrackSummary`; the CLI, the benchmarks and the tests call it. Outputs are written to temporary files and
moved into place only when the whole video went through.
"""

from __future__ import annotations

import contextlib
import csv
import logging
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import cv2
import numpy as np

from lmsdk.errors import VideoError
from lmsdk.outputs import PendingFile
from lmsdk.runtime.editor import ShapeEditor
from lmsdk.runtime.overlay import draw_track
from lmsdk.runtime.tracking import Tracker, TrackResult
from lmsdk.video import Frame, RateMeter, VideoSink, VideoSource, has_display, prefetched

logger = logging.getLogger(__name__)
WINDOW = "lmsdk"
QUIT_KEYS = (ord("q"), 27)  # q, Esc


@dataclass(frozen=True)
class TrackSummary:
    """What one pass over a video cost, per frame (means over all frames, milliseconds)."""

    frames: int
    found: int  # frames with the object tracked
    pipeline_fps: float  # frames per second through the whole loop (read, track, draw, write, show), all frames
    tracking_ms: float  # Tracker.update: crop, model, reframing, smoothing (frames in memory cost only this)
    inference_ms: float  # the model's share of tracking_ms
    decode_ms: float  # waiting for the next decoded frame (less than decoding itself when it runs ahead)
    draw_ms: float  # editing, drawing, writing and showing
    outputs: tuple[Path, ...]


def csv_header(num_landmarks: int, names: tuple[str, ...] = ()) -> list[str]:
    """The columns of :class:`CsvLog`: ``frame, time, state, confidence, x0, y0, ..., x{K-1}, y{K-1}``, then
    ``{name}_x, {name}_y`` for each named point (e.g. ``left_eye_x, left_eye_y``)."""
    coords = [f"{a}{k}" for k in range(num_landmarks) for a in ("x", "y")]
    named = [f"{name}_{a}" for name in names for a in ("x", "y")]
    return ["frame", "time", "state", "confidence", *coords, *named]


class CsvLog:
    """One row per frame: index, time, state, mean confidence, then the smoothed landmarks and named points in
    frame pixels (:func:`csv_header`; empty cells while the object is lost). Written to a temporary file;
    :meth:`close` moves it into place, :meth:`abort` throws it away."""

    def __init__(self, path: str | Path, num_landmarks: int, names: tuple[str, ...] = ()) -> None:
        self.pending = PendingFile(path)
        self.file: TextIO = self.pending.tmp.open("w", newline="")
        self.writer = csv.writer(self.file)
        self.writer.writerow(csv_header(num_landmarks, names))

    def write(self, result: TrackResult) -> None:
        points = result.points if result.named is None else np.concatenate([result.points, result.named])
        values = ["" if not np.isfinite(v) else f"{v:.3f}" for v in points.reshape(-1)]
        row = [result.index, f"{result.timestamp:.4f}", result.state.value, f"{float(result.confidence.mean()):.4f}"]
        self.writer.writerow([*row, *values])

    def close(self) -> None:
        self.file.close()
        self.pending.commit()

    def abort(self) -> None:
        self.file.close()
        self.pending.discard()


def track_video(
    tracker: Tracker,
    source: VideoSource,
    *,
    out: Path | None = None,
    csv_path: Path | None = None,
    show: bool = False,
    on_frame: Callable[[TrackResult], None] | None = None,
    edit: tuple[ShapeEditor, Mapping[int, tuple[float, float]]] | None = None,
    prefetch: bool | None = None,
) -> TrackSummary:
    """Track every frame of ``source``; write an overlay video and/or a CSV, show a window if asked and possible.

    With ``edit = (editor, moves)`` every frame where the object is found is re-decoded with the landmarks
    moved by ``moves`` (pixels of an S x S crop) and pasted back before drawing. Without a display ``show`` is
    ignored with a warning (``cv2.imshow`` would abort the process); q or Esc in the window stops early.
    ``prefetch`` decodes frames on their own thread (default: when writing or showing, where decoding would
    otherwise wait for drawing and encoding; docs/lite.md measures both ways).

    Raises:
        VideoError: not one frame could be read; nothing is written.
    """
    if show and not has_display():
        logger.warning("no display found: not showing a window (write the overlay with --out instead)")
        show = False
    drawing = out is not None or show  # an edit is only drawn: without an overlay there is nothing to edit
    if prefetch is None:
        prefetch = out is not None or show
    sink = VideoSink(out, source.fps) if out else None
    log = CsvLog(csv_path, tracker.detector.num_landmarks, tuple(tracker.detector.named_points)) if csv_path else None
    loop = RateMeter()
    frames = found = 0
    spent = dict.fromkeys(("decode", "track", "infer", "draw"), 0.0)
    frame_iter: Iterator[Frame] = prefetched(source) if prefetch else iter(source)
    start = last = time.perf_counter()
    try:
        with contextlib.closing(frame_iter):  # stops the decoding thread before the source is closed
            while True:
                t0 = time.perf_counter()
                frame = next(frame_iter, None)
                if frame is None:
                    break
                t1 = time.perf_counter()
                result = tracker.update(frame.image, None if source.is_camera else frame.timestamp)
                t2 = time.perf_counter()
                frames += 1
                found += result.found
                if drawing and _draw(frame.image, result, loop.per_second, sink, show, edit):
                    break
                if log is not None:
                    log.write(result)
                if on_frame is not None:
                    on_frame(result)
                now = time.perf_counter()
                spent["decode"] += t1 - t0
                spent["track"] += t2 - t1
                spent["infer"] += result.inference_seconds
                spent["draw"] += now - t2
                loop.add(now - last)
                last = now
        if frames == 0:
            raise VideoError(f"{source.name}: no frame could be read (an empty or unreadable video); nothing written")
    except BaseException:
        for output in (sink, log):
            if output is not None:
                output.abort()
        raise
    finally:
        if show:
            cv2.destroyAllWindows()
    for output in (sink, log):
        if output is not None:
            output.close()
    outputs = tuple(p for p in (out, csv_path) if p)
    ms = {k: 1000 * v / frames for k, v in spent.items()}
    fps = frames / (time.perf_counter() - start)
    return TrackSummary(frames, found, fps, ms["track"], ms["infer"], ms["decode"], ms["draw"], outputs)


def _draw(
    image: np.ndarray,
    result: TrackResult,
    fps: float,
    sink: VideoSink | None,
    show: bool,
    edit: tuple[ShapeEditor, Mapping[int, tuple[float, float]]] | None,
) -> bool:
    """Edit, draw, write and show one frame; True when the user asked to quit."""
    if edit is not None and result.found and result.box is not None:
        image = edit[0].edit_frame(image, result.box, edit[1])
    overlay = draw_track(image, result, fps)
    if sink is not None:
        sink.write(overlay)
    return show and _show(overlay)


def _show(overlay: np.ndarray) -> bool:
    """Show a frame; True when the user pressed a quit key."""
    cv2.imshow(WINDOW, overlay)
    return cv2.waitKey(1) & 0xFF in QUIT_KEYS
