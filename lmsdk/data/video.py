"""Video as training data (paper App. C): frames, and frame pairs with the optical flow between them.

A video source holds clips (:mod:`lmsdk.data.clip_list`: a video file, a folder of videos or of frame folders,
or a clip list that names clips and their crop boxes); each frame is cropped to its clip's box (or the centred
square times the crop fraction, like an image folder) and resized to the crop size S. A training pair is frame
``t`` and frame ``t + gap`` of the same clip with the Farneback flow between them, computed over ``step``-frame
hops and composed (5-frame steps accumulated to 10 in the paper; :mod:`lmsdk.data.flow`).

The flow is computed on the clip's crops at ``flow_size`` pixels (at least S: Farneback's 15-pixel window then
sees a face's parts, not a third of it), then resampled to S; once per clip, and kept on disk
(:mod:`lmsdk.data.flow_cache`). Flows are handed out in normalised crop units: ``flow[y, x]`` moves the centre
of pixel ``(x, y)`` of the first frame to where it is in the second.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from lmsdk.data.base import ImageSource
from lmsdk.data.clip_list import VIDEO_SUFFIXES, Clip, find_clips
from lmsdk.data.flow import FARNEBACK, compose_flows, farneback, pair_flows, resize_flow
from lmsdk.data.flow_cache import FlowCache, PairFlows, fingerprint
from lmsdk.errors import DataError
from lmsdk.geometry import Box, bgr_to_rgb, crop_resize
from lmsdk.images import IMAGE_SUFFIXES, read_image_rgb
from lmsdk.video import VideoSource

__all__ = ["VIDEO_SUFFIXES", "VideoFrames", "compose_flows", "farneback"]

logger = logging.getLogger(__name__)


def _frames_rgb(path: Path, max_frames: int | None) -> Iterator[np.ndarray]:
    """The frames of a clip (a video file or a folder of frames) as RGB uint8, at most ``max_frames``."""
    if path.is_dir():
        for f in sorted(p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)[:max_frames]:
            yield read_image_rgb(str(f))
        return
    with VideoSource(path) as video:
        for frame in video:
            if max_frames is not None and frame.index >= max_frames:
                break
            yield bgr_to_rgb(frame.image)


def read_crops(
    clip: Clip, size: int, crop_fraction: float, max_frames: int | None, flow_size: int | None = None
) -> tuple[np.ndarray, np.ndarray | None]:
    """The crops of a clip: ``(T, size, size, 3)`` uint8 RGB, and with ``flow_size`` its ``(T, F, F)`` grey crops at
    that side for the flow (None without); each frame is decoded once and never kept whole."""
    crops, work = [], []
    box = clip.box
    for frame in _frames_rgb(clip.path, max_frames):
        if box is None:
            box = Box.centered_square(frame.shape[1], frame.shape[0], crop_fraction)
        crops.append(crop_resize(frame, box, size))
        if flow_size is not None:
            work.append(cv2.cvtColor(crop_resize(frame, box, flow_size), cv2.COLOR_RGB2GRAY))
    if not crops:
        raise DataError(f"{clip.path}: no frames")
    return np.stack(crops), (np.stack(work) if flow_size is not None else None)


class VideoFrames(ImageSource):
    """Every frame of every clip of a video source, as crops; and (t, t + gap) pairs with their flows, read from
    the cache or computed the first time a pair is asked for (or at :meth:`prepare_pairs`).

    Args:
        root: a video file, a folder, or a clip list (:mod:`lmsdk.data.clip_list`).
        crop_size: S.
        crop_fraction: clips without a box: keep this fraction of the frame's centred square.
        gap: frames between the two frames of a pair.
        step: frames between the two images of one flow computation; divides ``gap``.
        max_frames: read at most this many frames of each clip.
        flow_size: the side of the crops the flow is computed on (S where smaller; 0: at S).
        flow_cache: where flows are kept (:class:`~lmsdk.data.flow_cache.FlowCache`; None: beside each clip, or
            the user's cache where its folder is read-only).
    """

    provides_pairs = True

    def __init__(
        self,
        root: str | os.PathLike[str],
        crop_size: int,
        crop_fraction: float = 1.0,
        gap: int = 10,
        step: int = 5,
        max_frames: int | None = None,
        flow_size: int = 256,
        flow_cache: str | os.PathLike[str] | None = None,
    ) -> None:
        root = Path(root)
        if gap < 1 or step < 1 or gap % step:
            raise DataError(f"the pair gap ({gap}) must be a multiple of the flow step ({step})")
        if not 0 < crop_fraction <= 1:
            raise DataError(f"crop fraction must be in (0, 1], got {crop_fraction}")
        if flow_size < 0:
            raise DataError(f"the flow size must be 0 (the crop size) or a side in pixels, got {flow_size}")
        self.clip_files = find_clips(root)
        self.crop_size, self.gap, self.step = crop_size, gap, step
        self.crop_fraction, self.max_frames = crop_fraction, max_frames
        self.flow_size = max(flow_size, crop_size)
        self.cache = FlowCache(flow_cache)
        # (T, S, S, 3) uint8 RGB crops of each clip; the flows of its pairs once asked for (prepare_pairs)
        self.clips = [read_crops(clip, crop_size, crop_fraction, max_frames)[0] for clip in self.clip_files]
        self._flows: list[PairFlows | None] = [None] * len(self.clips)
        self.index = [(c, t) for c, frames in enumerate(self.clips) for t in range(len(frames))]
        self.pair_index = [(c, t) for c, frames in enumerate(self.clips) for t in range(len(frames) - gap)]
        if not self.pair_index:
            raise DataError(f"{root}: clips are shorter than the pair gap of {gap} frames")
        self.description = (
            f"video {root} ({len(self.clips)} clips, {len(self.index)} frames, {len(self.pair_index)} pairs)"
        )

    def settings(self, clip: Clip) -> dict[str, Any]:
        """Everything the flows of ``clip`` depend on besides its content (the flow cache's key)."""
        framing: dict[str, Any] = (
            {"box": list(clip.box.to_xyxy())} if clip.box is not None else {"crop_fraction": self.crop_fraction}
        )
        return {
            **framing,
            "crop_size": self.crop_size,
            "gap": self.gap,
            "step": self.step,
            "max_frames": self.max_frames,
            "flow_size": self.flow_size,
            "farneback": asdict(FARNEBACK),
            "opencv": cv2.__version__,
        }

    def prepare_pairs(self) -> None:
        """Read or compute the flows of every clip's pairs now (training calls it before its first step; a source
        only read for its frames, as export reads it, never computes a flow)."""
        for c in range(len(self.clips)):
            self._flows_of(c)

    def _flows_of(self, c: int) -> PairFlows:
        """The flows of clip ``c``'s pairs: from the cache, or computed from the clip and cached."""
        flows = self._flows[c]
        if flows is None:
            flows = self._flows[c] = self._load_or_compute(self.clip_files[c], max(len(self.clips[c]) - self.gap, 0))
        return flows

    def _load_or_compute(self, clip: Clip, pairs: int) -> PairFlows:
        settings = self.settings(clip)
        flows = self.cache.load(clip.path, settings)
        if flows is not None and len(flows.forward) == pairs:
            return flows
        content = fingerprint(clip.path)  # before reading: a clip changed meanwhile is found stale next time
        _, work = read_crops(clip, self.crop_size, self.crop_fraction, self.max_frames, self.flow_size)
        assert work is not None
        start = time.monotonic()
        flows = PairFlows(*(self._at_crop_size(f) for f in pair_flows(work, self.gap, self.step)))
        logger.info("flows of %s: %d pairs in %.1f s", clip.path, len(flows.forward), time.monotonic() - start)
        self.cache.save(clip.path, settings, flows, content)
        return flows

    def _at_crop_size(self, flows: np.ndarray) -> np.ndarray:
        """``(P, F, F, 2)`` flows at the flow size -> ``(P, S, S, 2)`` float16 pixels of the S-pixel crops."""
        size = self.crop_size
        out = np.empty((len(flows), size, size, 2), np.float16)
        for i, flow in enumerate(flows):
            out[i] = resize_flow(flow, size)
        return out

    def __len__(self) -> int:
        return len(self.index)

    def image(self, index: int) -> np.ndarray:
        c, t = self.index[index]
        return self.clips[c][t]

    @property
    def pair_count(self) -> int:
        return len(self.pair_index)

    def pair(self, index: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Frames ``t`` and ``t + gap`` (``(S, S, 3)`` uint8 RGB) and the flows ``t -> t + gap`` and back,
        ``(S, S, 2)`` float32 in normalised crop units."""
        c, t = self.pair_index[index]
        frames, flows = self.clips[c], self._flows_of(c)
        forward = flows.forward[t].astype(np.float32) / self.crop_size
        backward = flows.backward[t].astype(np.float32) / self.crop_size
        return frames[t], frames[t + self.gap], forward, backward
