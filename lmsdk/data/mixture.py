"""A run's training data: its image sources and its video sources at once, mixed in each batch.

``lmsdk train --data faces.txt --data clips/`` trains on both: every batch holds ``video_share`` of video pairs
(frame t, frame t + gap and the flows between them, :class:`~lmsdk.data.video.VideoFrames`) and images for the
rest; the flow terms apply to the pairs only. With images alone or video alone a batch is all of that kind, as
with one source. Several sources of one kind are concatenated.
"""

from __future__ import annotations

import bisect
import logging
from dataclasses import dataclass, fields
from typing import Protocol

import numpy as np

from lmsdk.data.base import ImageSource
from lmsdk.data.sources import DataConfig, open_source
from lmsdk.errors import ConfigError

Pair = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]

log = logging.getLogger(__name__)


class PairSource(Protocol):
    """Video pairs: frames t and t + gap, ``(S, S, 3)`` uint8 RGB, and the flows between them, ``(S, S, 2)``."""

    @property
    def pair_count(self) -> int: ...

    def pair(self, index: int) -> Pair: ...

    def prepare_pairs(self) -> None:
        """Read or compute every flow now rather than at the first :meth:`pair`."""
        ...


class _Offsets:
    """Maps an index over several concatenated parts to ``(part, index within it)``."""

    def __init__(self, sizes: list[int]) -> None:
        self.starts = np.cumsum([0, *sizes]).tolist()

    @property
    def total(self) -> int:
        return int(self.starts[-1])

    def locate(self, index: int) -> tuple[int, int]:
        if not 0 <= index < self.total:
            raise IndexError(index)
        part = bisect.bisect_right(self.starts, index) - 1
        return part, index - int(self.starts[part])


class ConcatenatedImages(ImageSource):
    """The crops of several sources of one crop size, one after the other (no keypoints: they may differ)."""

    def __init__(self, sources: list[ImageSource]) -> None:
        self.sources = sources
        self.crop_size = sources[0].crop_size
        self.offsets = _Offsets([len(s) for s in sources])
        self.description = " + ".join(s.description for s in sources)

    def __len__(self) -> int:
        return self.offsets.total

    def image(self, index: int) -> np.ndarray:
        part, inner = self.offsets.locate(index)
        return self.sources[part].image(inner)


class ConcatenatedPairs:
    """The pairs of several video sources, one after the other."""

    def __init__(self, sources: list[PairSource]) -> None:
        self.sources = sources
        self.offsets = _Offsets([s.pair_count for s in sources])

    @property
    def pair_count(self) -> int:
        return self.offsets.total

    def pair(self, index: int) -> Pair:
        part, inner = self.offsets.locate(index)
        return self.sources[part].pair(inner)

    def prepare_pairs(self) -> None:
        for source in self.sources:
            source.prepare_pairs()


@dataclass(frozen=True)
class TrainingData:
    """What a run trains on and how a batch is made of it."""

    images: ImageSource | None  # every image source (None: video only)
    pairs: PairSource | None  # every video source's pairs (None: images only)
    reference: ImageSource  # the first image source, else the first video's frames: probe, statistics, samples
    video_share: float  # of a batch, when there are both
    description: str

    def split(self, batch: int) -> tuple[int, int]:
        """``(images, pairs)`` of a batch of ``batch``: all of one kind where there is one, else ``video_share``
        of pairs (rounded, at least one of each)."""
        if self.pairs is None:
            return batch, 0
        if self.images is None:
            return 0, batch
        if batch < 2:
            raise ConfigError(f"a batch of {batch} cannot mix images and video; give each process at least 2")
        pairs = min(max(round(batch * self.video_share), 1), batch - 1)
        return batch - pairs, pairs


def open_training_data(config: DataConfig, crop_size: int) -> TrainingData:
    """Open every source of ``config`` (:attr:`DataConfig.specs`) at ``crop_size`` px."""
    opened = [open_source(config, crop_size, spec) for spec in config.specs]
    videos = [s for s in opened if getattr(s, "provides_pairs", False)]
    images = [s for s in opened if not getattr(s, "provides_pairs", False)]
    image_set = None if not images else images[0] if len(images) == 1 else ConcatenatedImages(images)
    pair_set: PairSource | None = None
    if videos:
        pair_set = videos[0] if len(videos) == 1 else ConcatenatedPairs(videos)  # type: ignore[assignment]
        pair_set.prepare_pairs()  # every flow read or computed before the first step, not during it
    _warn_unused_video_options(config, has_images=bool(images), has_videos=bool(videos))
    description = " + ".join(s.description for s in opened)
    if images and videos:
        description += f"; {config.video_share:g} of each batch video pairs"
    return TrainingData(image_set, pair_set, images[0] if images else videos[0], config.video_share, description)


def _warn_unused_video_options(config: DataConfig, *, has_images: bool, has_videos: bool) -> None:
    """Log the video options set away from their defaults that these sources leave unused (no error: a preset or
    a saved config may carry them)."""
    defaults = {f.name: f.default for f in fields(DataConfig)}
    unused = []
    if not has_videos and config.video_gap != defaults["video_gap"]:
        unused.append(f"--video-gap {config.video_gap}")
    if not (has_videos and has_images) and config.video_share != defaults["video_share"]:
        unused.append(f"--video-share {config.video_share:g}")
    if unused:
        kind = "video" if not has_videos else "images"
        log.warning("%s unused: no --data source is %s", " and ".join(unused), kind)
