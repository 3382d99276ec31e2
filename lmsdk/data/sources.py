"""Open a training source by name or path, detecting its format (or taking the one named)."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from lmsdk.data.base import CachedSource, ImageSource
from lmsdk.data.folder import ImageFolder
from lmsdk.data.mtfl import MtflList
from lmsdk.data.synthetic import SyntheticFaces
from lmsdk.errors import DataError


@dataclass(frozen=True)
class DataConfig:
    """Where training images come from and how they are framed."""

    source: str = "synthetic"  # "synthetic" or a path
    format: str | None = None  # None: detect; else one of FORMATS
    crop_fraction: float = 1.0  # image folders: keep this fraction of the centred square
    synthetic_count: int = 4000  # size of the built-in synthetic set
    seed: int = 0  # synthetic faces are a function of (seed, index)
    cache: bool = True  # decode each image once and keep it in memory


def _is_mtfl_list(path: Path) -> bool:
    if not path.is_file() or path.suffix.lower() != ".txt":
        return False
    with path.open() as f:
        for line in f:
            if line.strip() and not line.startswith("#"):
                return len(line.split()) >= 11
    return False


_Opener = Callable[[str, int, DataConfig], ImageSource]

FORMATS: dict[str, tuple[Callable[[Path], bool], _Opener]] = {
    "synthetic": (lambda p: str(p) == "synthetic", lambda s, size, c: SyntheticFaces(size, c.synthetic_count, c.seed)),
    "mtfl": (_is_mtfl_list, lambda s, size, c: MtflList(s, size)),
    "folder": (lambda p: p.is_dir(), lambda s, size, c: ImageFolder(s, size, c.crop_fraction)),
}


def detect_format(source: str | os.PathLike[str]) -> str:
    """Name of the format of ``source``; raises :class:`DataError` when nothing matches."""
    path = Path(source)
    if str(source) != "synthetic" and not path.exists():
        raise DataError(f"{source}: no such file or folder (use 'synthetic' for the built-in data)")
    for name, (matches, _) in FORMATS.items():
        if matches(path):
            return name
    raise DataError(f"{source}: cannot tell its format; name it with --format ({', '.join(FORMATS)})")


def open_source(config: DataConfig, crop_size: int) -> ImageSource:
    """Open the training source of ``config`` at ``crop_size`` px (cached in memory unless disabled)."""
    name = config.format or detect_format(config.source)
    if name not in FORMATS:
        raise DataError(f"unknown data format {name!r}; known: {', '.join(FORMATS)}")
    source = FORMATS[name][1](config.source, crop_size, config)
    if len(source) == 0:
        raise DataError(f"{config.source}: the source is empty")
    return CachedSource(source) if config.cache else source
