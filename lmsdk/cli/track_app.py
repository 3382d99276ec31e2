"""The video application behind ``lmsdk track``: read, track, (edit), draw, write, show a window, log to CSV.

The runtime library keeps the reusable pieces (:class:`~lmsdk.runtime.Tracker`, :func:`~lmsdk.runtime.draw_track`,
:meth:`~lmsdk.runtime.ShapeEditor.edit_frame`, :class:`~lmsdk.video.VideoSink`); the loop, the CSV log, the
window and its keys are this command's. Outputs are written to temporary files and moved into place only
when the whole video went through.
"""

from __future__ import annotations

import csv
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import cv2
import numpy as np

from lmsdk.errors import VideoError
from lmsdk.outputs import PendingFile
from lmsdk.runtime import ShapeEditor, Tracker, TrackResult, draw_track
from lmsdk.video import RateMeter, VideoSink, VideoSource, has_display

logger = logging.getLogger(__name__)
WINDOW = "lmsdk"
QUIT_KEYS = (ord("q"), 27)  # q, Esc


@dataclass(frozen=True)
class TrackSummary:
    frames: int
    found: int  # frames with the object tracked
    pipeline_fps: float  # frames per second through the whole loop (read, track, draw, write)
    inference_ms: float  # mean model time per frame
    outputs: tuple[Path, ...]


class CsvLog:
    """One row per frame: index, time, state, mean confidence, then x0, y0, x1, y1, ... in frame pixels
    (written to a temporary file; :meth:`close` moves it into place, :meth:`abort` throws it away)."""

    def __init__(self, path: str | Path, num_landmarks: int) -> None:
        self.pending = PendingFile(path)
        self.file: TextIO = self.pending.tmp.open("w", newline="")
        self.writer = csv.writer(self.file)
        coords = [f"{a}{k}" for k in range(num_landmarks) for a in ("x", "y")]
        self.writer.writerow(["frame", "time", "state", "confidence", *coords])

    def write(self, result: TrackResult) -> None:
        values = ["" if not np.isfinite(v) else f"{v:.3f}" for v in result.points.reshape(-1)]
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
) -> TrackSummary:
    """Track every frame of ``source``; write an overlay video and/or a CSV, show a window if asked and possible.

    With ``edit = (editor, moves)`` every frame where the object is found is re-decoded with the landmarks
    moved by ``moves`` (pixels of an S x S crop) and pasted back before drawing. Without a display ``show`` is
    ignored with a warning (``cv2.imshow`` would abort the process); q or Esc in the window stops early.

    Raises:
        VideoError: not one frame could be read; nothing is written.
    """
    if show and not has_display():
        logger.warning("no display found: not showing a window (write the overlay with --out instead)")
        show = False
    sink = VideoSink(out, source.fps) if out else None
    log = CsvLog(csv_path, tracker.detector.num_landmarks) if csv_path else None
    loop, inference = RateMeter(), RateMeter(window=10_000, warmup=0)
    frames = found = 0
    last = time.perf_counter()
    try:
        for frame in source:
            result = tracker.update(frame.image, None if source.is_camera else frame.timestamp)
            frames += 1
            found += result.found
            inference.add(result.inference_seconds)
            image = frame.image
            if edit is not None and result.found and result.box is not None:
                image = edit[0].edit_frame(image, result.box, edit[1])
            if sink is not None or show:
                overlay = draw_track(image, result, loop.per_second)
                if sink is not None:
                    sink.write(overlay)
                if show and _show(overlay):
                    break
            if log is not None:
                log.write(result)
            if on_frame is not None:
                on_frame(result)
            now = time.perf_counter()
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
    return TrackSummary(frames, found, loop.per_second, 1000 * inference.mean_seconds, outputs)


def _show(overlay: np.ndarray) -> bool:
    """Show a frame; True when the user pressed a quit key."""
    cv2.imshow(WINDOW, overlay)
    return cv2.waitKey(1) & 0xFF in QUIT_KEYS
