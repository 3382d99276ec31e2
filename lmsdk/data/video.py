"""Video as training data (paper App. C): frames, and frame pairs with the optical flow between them.

Frames come from video files (any OpenCV-readable container) or folders of frame images, one folder per
clip; each frame is squared and cropped like an image folder. A training pair is frame ``t`` and frame
``t + gap`` of the same clip with Farneback flow (OpenCV) computed between frames ``step`` apart and
accumulated over the gap (5-frame steps accumulated to 10 in the paper). Flows are in normalised crop
units: ``flow[y, x]`` moves the centre of pixel ``(x, y)`` of the first frame to where it is in the second.
"""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np

from lmsdk.data.base import ImageSource
from lmsdk.errors import DataError
from lmsdk.geometry import Box, bgr_to_rgb, crop_resize
from lmsdk.images import IMAGE_SUFFIXES, read_image_rgb
from lmsdk.video import VideoSource

VIDEO_SUFFIXES = (".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v")


def _clips(root: Path) -> list[Path]:
    """Video files, or folders of frames, under ``root`` (or ``root`` itself when it is one)."""
    if root.is_file():
        return [root]
    videos = sorted(p for p in root.rglob("*") if p.suffix.lower() in VIDEO_SUFFIXES and p.is_file())
    frame_dirs = sorted({p.parent for p in root.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file()})
    return videos + frame_dirs


def _read_clip(path: Path, crop_size: int, crop_fraction: float, max_frames: int | None) -> np.ndarray:
    frames = []
    if path.is_dir():
        for f in sorted(p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)[:max_frames]:
            image = read_image_rgb(str(f))
            frames.append(
                crop_resize(image, Box.centered_square(image.shape[1], image.shape[0], crop_fraction), crop_size)
            )
    else:
        with VideoSource(path) as video:
            for frame in video:
                if max_frames is not None and len(frames) >= max_frames:
                    break
                box = Box.centered_square(frame.image.shape[1], frame.image.shape[0], crop_fraction)
                frames.append(crop_resize(bgr_to_rgb(frame.image), box, crop_size))
    if not frames:
        raise DataError(f"{path}: no frames")
    return np.stack(frames)


def farneback(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Dense flow from RGB uint8 image ``a`` to ``b`` in pixels, ``(H, W, 2)``: pixel u of a is at u + flow in b."""
    ga, gb = (cv2.cvtColor(x, cv2.COLOR_RGB2GRAY) for x in (a, b))
    return cv2.calcOpticalFlowFarneback(ga, gb, None, 0.5, 3, 15, 3, 5, 1.2, 0)


def compose_flows(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """The flow of ``first`` followed by ``second``: ``u -> u + f1(u) + f2(u + f1(u))`` (bilinear, border clamp)."""
    h, w = first.shape[:2]
    gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    moved = cv2.remap(second, gx + first[..., 0], gy + first[..., 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return first + moved


class VideoFrames(ImageSource):
    """Every frame of every clip under ``root``, as crops; and (t, t + gap) pairs with their flows."""

    provides_pairs = True

    def __init__(
        self,
        root: str | os.PathLike[str],
        crop_size: int,
        crop_fraction: float = 1.0,
        gap: int = 10,
        step: int = 5,
        max_frames: int | None = None,
    ) -> None:
        root = Path(root)
        if not root.exists():
            raise DataError(f"{root}: no such video file or folder")
        if gap % step:
            raise DataError(f"the pair gap ({gap}) must be a multiple of the flow step ({step})")
        clips = _clips(root)
        if not clips:
            raise DataError(f"{root}: no videos or frame folders found")
        self.crop_size, self.gap, self.step = crop_size, gap, step
        self.clips = [_read_clip(c, crop_size, crop_fraction, max_frames) for c in clips]
        self.index = [(c, t) for c, frames in enumerate(self.clips) for t in range(len(frames))]
        self.pair_index = [(c, t) for c, frames in enumerate(self.clips) for t in range(len(frames) - gap)]
        if not self.pair_index:
            raise DataError(f"{root}: clips are shorter than the pair gap of {gap} frames")
        self._flows: dict[tuple[int, int, int], np.ndarray] = {}
        self.description = f"video {root} ({len(clips)} clips, {len(self.index)} frames, {len(self.pair_index)} pairs)"

    def __len__(self) -> int:
        return len(self.index)

    def image(self, index: int) -> np.ndarray:
        c, t = self.index[index]
        return self.clips[c][t]

    @property
    def pair_count(self) -> int:
        return len(self.pair_index)

    def _flow(self, clip: int, start: int, end: int) -> np.ndarray:
        """Accumulated flow from frame ``start`` to ``end`` in ``step``-frame hops, pixels."""
        key = (clip, start, end)
        if key not in self._flows:
            frames = self.clips[clip]
            direction = 1 if end > start else -1
            flow = None
            for t in range(start, end, direction * self.step):
                hop = farneback(frames[t], frames[t + direction * self.step])
                flow = hop if flow is None else compose_flows(flow, hop)
            self._flows[key] = flow
        return self._flows[key]

    def pair(self, index: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Frames ``t`` and ``t + gap`` (``(S, S, 3)`` uint8 RGB) and the flows ``t -> t + gap`` and back,
        ``(S, S, 2)`` float32 in normalised crop units."""
        c, t = self.pair_index[index]
        frames = self.clips[c]
        forward = self._flow(c, t, t + self.gap) / self.crop_size
        backward = self._flow(c, t + self.gap, t) / self.crop_size
        return frames[t], frames[t + self.gap], forward.astype(np.float32), backward.astype(np.float32)
