"""The video loop behind ``lmsdk track`` and the demos: read, track, draw, write, show, log to CSV."""

from __future__ import annotations

import csv
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from lmsdk.runtime.editor import ShapeEditor
from lmsdk.runtime.geometry import Box
from lmsdk.runtime.tracking import Tracker, TrackResult
from lmsdk.runtime.video import RateMeter, VideoSink, VideoSource, has_display
from lmsdk.viz import draw_landmarks

logger = logging.getLogger(__name__)
WINDOW = "lmsdk"


@dataclass(frozen=True)
class TrackSummary:
    frames: int
    found: int  # frames with the object tracked
    pipeline_fps: float  # frames per second through the whole loop (read, track, draw, write)
    inference_ms: float  # mean model time per frame
    outputs: tuple[Path, ...]


def draw_track(frame: np.ndarray, result: TrackResult, fps: float | None = None) -> np.ndarray:
    """The frame with the landmarks, the crop box and a status line drawn on it (BGR)."""
    out = draw_landmarks(frame, result.points, radius=max(3, frame.shape[0] // 120), bgr=True)
    if result.box is not None:
        x0, y0, x1, y1 = (round(v) for v in result.box.to_xyxy())
        color = (80, 200, 80) if result.found else (60, 60, 220)
        cv2.rectangle(out, (x0, y0), (x1 - 1, y1 - 1), color, 1, cv2.LINE_AA)
    text = f"{result.state.value}  conf {float(np.nanmean(result.confidence)):.2f}"
    if fps is not None and fps == fps:
        text += f"  {fps:.0f} fps  {1000 * result.inference_seconds:.1f} ms"
    cv2.putText(out, text, (8, 20), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 3, cv2.LINE_AA)
    cv2.putText(out, text, (8, 20), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (255, 255, 255), 1, cv2.LINE_AA)
    return out


class CsvLog:
    """One row per frame: index, time, state, mean confidence, then x0, y0, x1, y1, ... in frame pixels."""

    def __init__(self, path: str | Path, num_landmarks: int) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.file = self.path.open("w", newline="")
        self.writer = csv.writer(self.file)
        coords = [f"{a}{k}" for k in range(num_landmarks) for a in ("x", "y")]
        self.writer.writerow(["frame", "time", "state", "confidence", *coords])

    def write(self, result: TrackResult) -> None:
        values = ["" if not np.isfinite(v) else f"{v:.3f}" for v in result.points.reshape(-1)]
        self.writer.writerow(
            [
                result.index,
                f"{result.timestamp:.4f}",
                result.state.value,
                f"{float(result.confidence.mean()):.4f}",
                *values,
            ]
        )

    def close(self) -> None:
        self.file.close()


def edit_frame(
    editor: ShapeEditor, frame: np.ndarray, box: Box, moves: Mapping[int, tuple[float, float]]
) -> np.ndarray:
    """``frame`` with the object in ``box`` re-decoded with its landmarks moved (moves in crop pixels)."""
    scale = box.width / editor.size
    result = editor.edit(frame, {k: (dx * scale, dy * scale) for k, (dx, dy) in moves.items()}, box)
    return editor.paste(frame, result.image, box)


def track_video(
    tracker: Tracker,
    source: VideoSource,
    *,
    out: str | Path | None = None,
    csv_path: str | Path | None = None,
    show: bool = False,
    on_frame: Callable[[TrackResult], None] | None = None,
    edit: tuple[ShapeEditor, Mapping[int, tuple[float, float]]] | None = None,
) -> TrackSummary:
    """Track every frame of ``source``; write an overlay video and/or a CSV, show a window if asked and possible.

    With ``edit = (editor, moves)`` every frame where the object is found is edited: the tracked crop is
    re-decoded with the landmarks moved by ``moves`` (``{k: (dx, dy)}`` in pixels of an S x S crop, so the
    edit scales with the object) and pasted back into the frame before drawing.
    Without a display ``show`` is ignored with a warning (``cv2.imshow`` would abort the process).
    Pressing ``q`` or Esc in the window stops early.
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
                image = edit_frame(edit[0], image, result.box, edit[1])
            if sink is not None or show:
                overlay = draw_track(image, result, loop.per_second)
                if sink is not None:
                    sink.write(overlay)
                if show:
                    cv2.imshow(WINDOW, overlay)
                    if cv2.waitKey(1) & 0xFF in (ord("q"), 27):
                        break
            if log is not None:
                log.write(result)
            if on_frame is not None:
                on_frame(result)
            now = time.perf_counter()
            loop.add(now - last)
            last = now
    finally:
        if sink is not None:
            sink.close()
        if log is not None:
            log.close()
        if show:
            cv2.destroyAllWindows()
    outputs = tuple(Path(p) for p in (out, csv_path) if p)
    return TrackSummary(frames, found, loop.per_second, 1000 * inference.mean_seconds, outputs)
