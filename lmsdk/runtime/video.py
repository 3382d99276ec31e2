"""Video in and out with OpenCV: frame sources with timestamps, writers, the display check, FPS meters."""

from __future__ import annotations

import collections
import math
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from lmsdk.errors import LmsdkError


class VideoError(LmsdkError):
    """A video file or camera cannot be opened, read or written."""


@dataclass(frozen=True)
class Frame:
    index: int
    timestamp: float  # seconds: the file's own clock, or a monotonic clock for cameras
    image: np.ndarray  # HxWx3 uint8 BGR


class VideoSource:
    """Frames of a video file or a camera (an integer index, given as int or digit string)."""

    def __init__(self, source: str | int | os.PathLike[str]) -> None:
        self.is_camera = isinstance(source, int) or str(source).isdigit()
        self.name = str(source)
        if not self.is_camera and not Path(source).is_file():
            raise VideoError(f"{source}: video file not found")
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
            yield Frame(index, stamp, image)
            index += 1

    def close(self) -> None:
        self.capture.release()

    def __enter__(self) -> VideoSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class VideoSink:
    """An MP4 (mp4v) or AVI (MJPG) writer opened on the first frame's size."""

    def __init__(self, path: str | os.PathLike[str], fps: float) -> None:
        self.path = Path(path)
        self.fps = fps
        self.writer: cv2.VideoWriter | None = None

    def write(self, image: np.ndarray) -> None:
        if self.writer is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            codec = "MJPG" if self.path.suffix.lower() == ".avi" else "mp4v"
            h, w = image.shape[:2]
            self.writer = cv2.VideoWriter(str(self.path), cv2.VideoWriter_fourcc(*codec), self.fps, (w, h))
            if not self.writer.isOpened():
                raise VideoError(f"{self.path}: cannot write video (codec {codec})")
        self.writer.write(image)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.release()


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
