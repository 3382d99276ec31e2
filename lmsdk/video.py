"""Video in and out with OpenCV: frame sources with timestamps, writers, the display check, FPS meters.

Torch-free and below both stages: the runtime tracks :class:`VideoSource` frames and the training data
reads clips through it. Frames are OpenCV BGR uint8 (the runtime's public boundary, :mod:`lmsdk.geometry`).
"""

from __future__ import annotations

import collections
import math
import os
import queue
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from lmsdk.errors import ConfigError, ImageError, OutputError, VideoError
from lmsdk.outputs import PendingFile

__all__ = [
    "VIDEO_WRITERS",
    "Frame",
    "RateMeter",
    "VideoError",
    "VideoSink",
    "VideoSource",
    "has_display",
    "prefetched",
]

#: Container suffix -> codec of the video files lmsdk writes.
VIDEO_WRITERS = {".avi": "MJPG", ".mp4": "mp4v"}


@dataclass(frozen=True)
class Frame:
    index: int
    timestamp: float  # seconds: the file's own clock, or a monotonic clock for cameras
    image: np.ndarray  # HxWx3 uint8 BGR


MAX_CAMERA_INDEX = 1023  # OpenCV reads a camera index as a C int; past a few dozen none exists anyway


class VideoSource:
    """Frames of a video file or a camera (an integer index, given as int or digit string).

    ``frames_read`` counts the frames iterated so far (0 after a pass: the file has no readable frame).
    """

    def __init__(self, source: str | int | os.PathLike[str]) -> None:
        if isinstance(source, bool) or not isinstance(source, (str, int, os.PathLike)):
            raise VideoError(f"video source {source!r}: give a file path or a camera index")
        self.is_camera = isinstance(source, int) or (str(source).isdigit() and not Path(source).exists())
        self.name = str(source)
        self.frames_read = 0
        if not self.is_camera and Path(source).is_dir():
            raise VideoError(f"{source}: is a folder, not a video file")
        if not self.is_camera and not Path(source).is_file():
            raise VideoError(f"{source}: video file not found")
        if self.is_camera and not -1 <= int(source) <= MAX_CAMERA_INDEX:
            raise VideoError(f"camera {source}: camera indices are 0 to {MAX_CAMERA_INDEX} (-1: the first available)")
        self.capture = cv2.VideoCapture(int(source) if self.is_camera else str(source))
        if not self.capture.isOpened():
            raise VideoError(f"{source}: cannot open {'camera' if self.is_camera else 'video'}")
        if self.is_camera:
            self.capture.set(cv2.CAP_PROP_BUFFERSIZE, 1)
        fps = self.capture.get(cv2.CAP_PROP_FPS)
        self.fps = fps if math.isfinite(fps) and fps > 0 else 30.0
        count = int(self.capture.get(cv2.CAP_PROP_FRAME_COUNT))
        self.frame_count = count if count > 0 and not self.is_camera else None
        self.size = (int(self.capture.get(cv2.CAP_PROP_FRAME_WIDTH)), int(self.capture.get(cv2.CAP_PROP_FRAME_HEIGHT)))

    def __iter__(self) -> Iterator[Frame]:
        index = 0
        start = time.monotonic()
        previous = -1.0
        while True:
            ok, image = self.capture.read()
            if not ok:
                return
            if self.is_camera:
                stamp = time.monotonic() - start
            else:
                # Files carry their own clock; where a container's is missing or stalls, use the frame rate.
                stamp = self.capture.get(cv2.CAP_PROP_POS_MSEC) / 1000.0
                if stamp <= previous:
                    stamp = index / self.fps
                if stamp <= previous:
                    stamp = previous + 1.0 / self.fps
            previous = stamp
            self.frames_read += 1
            yield Frame(index, stamp, image)
            index += 1

    def close(self) -> None:
        self.capture.release()

    def __enter__(self) -> VideoSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def prefetched(frames: Iterable[Frame], depth: int = 4) -> Iterator[Frame]:
    """The frames of ``frames``, decoded on a background thread up to ``depth`` frames ahead.

    OpenCV releases the GIL while it decodes, so the next frames are decoded while the caller tracks, draws
    and writes the current one. An error in the decoding thread is raised in the caller at the frame where
    it happened; leaving the loop early (``break``, an exception, closing the generator) stops the thread.
    """
    if depth < 1:
        raise ConfigError(f"prefetch depth must be at least 1, got {depth}")
    ready: queue.Queue[Frame | BaseException | None] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: Frame | BaseException | None) -> bool:
        while not stop.is_set():
            try:
                ready.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def decode() -> None:
        try:
            for frame in frames:
                if not put(frame):
                    return
        except BaseException as error:  # handed to the consumer, raised there
            put(error)
            return
        put(None)

    thread = threading.Thread(target=decode, name="lmsdk-decode", daemon=True)
    thread.start()
    try:
        while (item := ready.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        thread.join()


class VideoSink:
    """An MP4 (mp4v) or AVI (MJPG) writer of BGR uint8 frames, opened on the first frame's size.

    Frames go to a temporary file that becomes ``path`` on :meth:`close` (so an existing file is replaced only
    by a finished video); :meth:`abort`, or leaving a ``with`` block on an exception, throws it away. A sink
    that received no frames writes nothing (``frames`` tells how many it took).
    """

    def __init__(self, path: str | os.PathLike[str], fps: float) -> None:
        self.path = Path(path)
        if self.path.suffix.lower() not in VIDEO_WRITERS:
            raise OutputError(f"{self.path}: videos are written as {' or '.join(VIDEO_WRITERS)}")
        if not (math.isfinite(fps) and fps > 0):
            raise ConfigError(f"frame rate {fps!r}: must be a positive number")
        self.fps = fps
        self.frames = 0
        self.writer: cv2.VideoWriter | None = None
        self._pending: PendingFile | None = None
        self._size: tuple[int, int] | None = None

    def write(self, image: np.ndarray) -> None:
        """Append one ``(H, W, 3)`` uint8 BGR frame; every frame must have the first one's size."""
        if not (isinstance(image, np.ndarray) and image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 3):
            raise ImageError(f"{self.path}: frames must be HxWx3 uint8 BGR arrays, got {_describe(image)}")
        h, w = image.shape[:2]
        if self.writer is None:
            codec = VIDEO_WRITERS[self.path.suffix.lower()]
            self._pending = PendingFile(self.path)
            self.writer = cv2.VideoWriter(str(self._pending.tmp), cv2.VideoWriter_fourcc(*codec), self.fps, (w, h))
            if not self.writer.isOpened():
                raise VideoError(f"{self.path}: cannot write video (codec {codec})")
            self._size = (w, h)
        elif (w, h) != self._size:
            raise ImageError(
                f"{self.path}: frame {self.frames} is {w}x{h}, the video is {self._size[0]}x{self._size[1]}"
            )
        self.writer.write(np.ascontiguousarray(image))
        self.frames += 1

    def close(self) -> None:
        """Finish the file and move it into place (nothing is written when no frame was)."""
        self._finish(keep=True)

    def abort(self) -> None:
        """Stop and delete what was written so far; ``path`` is left as it was."""
        self._finish(keep=False)

    def _finish(self, keep: bool) -> None:
        if self.writer is not None:
            self.writer.release()
            self.writer = None
        if self._pending is not None:
            if keep:
                self._pending.commit()
            self._pending.discard()
            self._pending = None

    def __enter__(self) -> VideoSink:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *exc: object) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


def _describe(value: object) -> str:
    if isinstance(value, np.ndarray):
        return f"{value.dtype} array of shape {value.shape}"
    return type(value).__name__


def has_display() -> bool:
    """Whether ``cv2.imshow`` can open a window (it aborts the whole process when it cannot)."""
    if sys.platform in ("win32", "darwin"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


class RateMeter:
    """Mean rate and duration over the last ``window`` intervals (skipping the first ``warmup``)."""

    def __init__(self, window: int = 30, warmup: int = 5) -> None:
        self.samples: collections.deque[float] = collections.deque(maxlen=window)
        self.warmup = warmup
        self.seen = 0

    def add(self, seconds: float) -> None:
        self.seen += 1
        if self.seen > self.warmup:
            self.samples.append(seconds)

    @property
    def mean_seconds(self) -> float:
        return sum(self.samples) / len(self.samples) if self.samples else float("nan")

    @property
    def per_second(self) -> float:
        mean = self.mean_seconds
        return 1.0 / mean if mean and mean == mean else float("nan")
