"""Open a data source by name or path, detecting its format (or taking the one named).

A source string is ``synthetic`` or a path, optionally followed by ``#SPLIT`` for datasets with official
splits (``/data/celeba#mafl-test``, ``/data/aflw#train``, ``/data/cats#test``, ``mnist.idx.gz#3`` for one
digit). A training run may take several sources at once (``DataConfig.more_sources``: images and video mixed,
:mod:`lmsdk.data.mixture`); :func:`open_source` opens one.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lmsdk.data.base import CachedSource, ImageSource
from lmsdk.data.cats import CatHeads
from lmsdk.data.clip_list import VIDEO_SUFFIXES, is_clip_list
from lmsdk.data.faces import AflwRecropped, CelebA
from lmsdk.data.folder import ImageFolder
from lmsdk.data.labels import LabelledImages
from lmsdk.data.mnist import MnistDigits
from lmsdk.data.mtfl import MtflList
from lmsdk.data.synthetic import SyntheticFaces
from lmsdk.data.video import VideoFrames
from lmsdk.errors import ConfigError, DataError


@dataclass(frozen=True)
class SourceSpec:
    """One more source of a run (``lmsdk train --data A --data B``): a path as ``DataConfig.source`` takes it."""

    source: str
    format: str | None = None  # None: detect


@dataclass(frozen=True)
class DataConfig:
    """Where training images come from and how they are framed."""

    source: str = "synthetic"  # "synthetic" or a path, with an optional "#split"
    format: str | None = None  # None: detect; else one of FORMATS
    more_sources: tuple[SourceSpec, ...] = ()  # trained on together with source (images and video mixed)
    video_share: float = 0.5  # images and video mixed: the share of each batch that is video pairs
    crop_fraction: float = 1.0  # image folders, label CSVs and videos: keep this fraction of the centred square
    synthetic_count: int = 4000  # size of the built-in synthetic set
    seed: int = 0  # synthetic faces are a function of (seed, index)
    cache: bool = True  # decode each image once and keep it in memory
    video_gap: int = 10  # videos: frames between the two images of a training pair
    video_flow_step: int = 5  # videos: optical flow is computed over this many frames and accumulated
    video_flow_size: int = 256  # videos: the flow is computed on crops of this side (0: the crop size), resampled
    flow_cache: str | None = None  # videos: the folder flows are kept in (None: beside each clip, else ~/.cache)

    def __post_init__(self) -> None:
        if not 0 < self.video_share < 1:
            raise ConfigError(f"video share {self.video_share!r}: the share of each batch that is video, in (0, 1)")
        if self.video_flow_size < 0:
            raise ConfigError(f"video flow size {self.video_flow_size!r}: a side in pixels, or 0 for the crop size")

    @property
    def specs(self) -> tuple[SourceSpec, ...]:
        """Every source of the run, ``source`` first."""
        return (SourceSpec(self.source, self.format), *self.more_sources)

    @property
    def paths(self) -> tuple[str, ...]:
        """The paths the sources read (without their splits; ``synthetic`` is none)."""
        return tuple(path for spec in self.specs if (path := split_spec(spec.source)[0]) != "synthetic")


def split_spec(source: str) -> tuple[str, str | None]:
    """``"path#split"`` -> ``("path", "split")``."""
    path, _, split = source.partition("#")
    return path, split or None


def _first_text_line(path: Path, skip_comments: bool = False) -> str:
    """The first non-empty line of a text file ('' for a binary or unreadable file: no text format fits)."""
    try:
        with path.open(encoding="utf-8-sig") as f:
            for line in f:
                if line.strip() and not (skip_comments and line.startswith("#")):
                    return line
    except (UnicodeDecodeError, OSError):
        return ""
    return ""


def _first_line_fields(path: Path) -> int:
    return len(_first_text_line(path, skip_comments=True).split())


def _is_mtfl_list(path: Path) -> bool:
    return path.is_file() and path.suffix.lower() == ".txt" and _first_line_fields(path) >= 11


def _is_labels_csv(path: Path) -> bool:
    if not (path.is_file() and path.suffix.lower() == ".csv"):
        return False
    return _first_text_line(path).strip().startswith("image,")


def _is_idx(path: Path) -> bool:
    return path.is_file() and "idx3" in path.name


def _is_video(path: Path) -> bool:
    if path.is_file():
        return path.suffix.lower() in VIDEO_SUFFIXES or is_clip_list(path)
    return path.is_dir() and any(p.suffix.lower() in VIDEO_SUFFIXES for p in path.rglob("*"))


def _has(*names: str) -> Callable[[Path], bool]:
    return lambda p: p.is_dir() and any((p / n).exists() for n in names)


_Opener = Callable[[str, str | None, int, DataConfig], ImageSource]

FORMATS: dict[str, tuple[Callable[[Path], bool], _Opener]] = {
    "synthetic": (
        lambda p: str(p) == "synthetic",
        lambda s, split, size, c: SyntheticFaces(size, c.synthetic_count, c.seed),
    ),
    "celeba": (_has("list_eval_partition.txt", "Eval"), lambda s, split, size, c: CelebA(s, size, split or "train")),
    "aflw": (
        _has("aflw_data", "aflw_train_images.txt"),
        lambda s, split, size, c: AflwRecropped(s, size, split or "train"),
    ),
    "cats": (
        lambda p: p.is_dir() and next(p.rglob("*.cat"), None) is not None,
        lambda s, split, size, c: CatHeads(s, size, split or "all"),
    ),
    "mtfl": (_is_mtfl_list, lambda s, split, size, c: MtflList(s, size, split)),
    "labels": (_is_labels_csv, lambda s, split, size, c: LabelledImages(s, size, c.crop_fraction)),
    "mnist": (_is_idx, lambda s, split, size, c: MnistDigits(s, size, None if split is None else int(split))),
    "video": (
        _is_video,
        lambda s, split, size, c: VideoFrames(
            s,
            size,
            c.crop_fraction,
            c.video_gap,
            c.video_flow_step,
            flow_size=c.video_flow_size,
            flow_cache=c.flow_cache,
        ),
    ),
    "folder": (lambda p: p.is_dir(), lambda s, split, size, c: ImageFolder(s, size, c.crop_fraction)),
}


#: The formats whose ``path#split`` names a part of the dataset; the others take none.
SPLIT_FORMATS = ("celeba", "aflw", "cats", "mnist", "mtfl")


def detect_format(source: str | os.PathLike[str]) -> str:
    """Name of the format of ``source`` (a path, possibly with ``#split``); :class:`DataError` if none fits."""
    path_text, _ = split_spec(str(source))
    path = Path(path_text)
    if path_text != "synthetic" and not path.exists():
        raise DataError(f"{path_text}: no such file or folder (use 'synthetic' for the built-in data)")
    for name, (matches, _) in FORMATS.items():
        if matches(path):
            return name
    raise DataError(f"{path_text}: cannot tell its format; name it with --format ({', '.join(FORMATS)})")


def format_of(spec: SourceSpec) -> str:
    """The format of a source: the one it names, else the detected one; :class:`DataError` for an unknown name."""
    name = spec.format or detect_format(spec.source)
    if name not in FORMATS:
        raise DataError(f"unknown data format {name!r}; known: {', '.join(FORMATS)}")
    return name


def open_source(config: DataConfig, crop_size: int, spec: SourceSpec | None = None) -> ImageSource:
    """Open ``spec`` (default: ``config.source``) with the settings of ``config`` at ``crop_size`` px (decoded
    images cached in memory unless disabled)."""
    spec = spec or config.specs[0]
    name = format_of(spec)
    path, split = split_spec(spec.source)
    if split is not None and name not in SPLIT_FORMATS:
        raise DataError(
            f"{spec.source}: a {name} source has no splits (drop '#{split}'; splits exist for "
            f"{', '.join(SPLIT_FORMATS)})"
        )
    try:
        source = FORMATS[name][1](path, split, crop_size, config)
    except ValueError as exc:
        if isinstance(exc, DataError):
            raise
        raise DataError(f"{spec.source}: {exc}") from None
    if len(source) == 0:
        raise DataError(f"{spec.source}: the source is empty")
    if not config.cache or getattr(source, "provides_pairs", False):
        return source
    return CachedSource(source)


def spread_indices(length: int, count: int) -> np.ndarray:
    """``min(count, length)`` indices into a sequence of ``length`` items, evenly spread from the first to the
    last (int64, ascending; the fixed sample every "a few crops of the run's data" takes)."""
    return np.linspace(0, length - 1, min(count, length)).round().astype(np.int64)


def training_crops(config: DataConfig, crop_size: int, count: int) -> np.ndarray:
    """``(n, S, S, 3)`` uint8 RGB crops of a run's first image source (where a run mixes images and video, as the
    trainer's probe and framing statistics; its first source where it has only video), at :func:`spread_indices`,
    opened without the in-memory cache: what export calibrates, gates and fits the prior on, and what
    ``lmsdk train-generator`` fits its prior on.

    Raises:
        DataError: the source cannot be opened here.
    """
    spec = next((s for s in config.specs if format_of(s) != "video"), config.specs[0])
    source = open_source(dataclasses.replace(config, cache=False), crop_size, spec)
    return source.images(spread_indices(len(source), count))


def open_labelled(
    spec: str, crop_size: int, *, data_format: str | None = None, crop_fraction: float = 1.0
) -> ImageSource:
    """An annotated source for evaluation (``path[#split]``); raises if it has no keypoints."""
    source = open_source(
        DataConfig(source=spec, format=data_format, crop_fraction=crop_fraction, cache=False), crop_size
    )
    if not source.has_keypoints:
        raise DataError(f"{spec}: has no keypoint annotations to evaluate against")
    return source
