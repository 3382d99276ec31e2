"""Which clips a video source holds, and how each is framed.

A video source is a video file, a folder (every video file under it, and every folder of frame images), or a
**clip list**: a ``.txt`` file with one clip per line, ``PATH [X0 Y0 X1 Y1]``, the path relative to the list and
the optional box the clip's frames are cropped to (pixel edges of the frame: the top-left pixel spans 0..1; the
box may reach beyond the frame, whose edge pixels are then repeated); a line that starts with ``#`` is a comment.
A clip without a box is cropped to its frame's centred square times the source's crop fraction, as an image
folder is.

A list names some of the clips of a folder (a training set that holds others out) and frames each one like
the image set it is trained with (``benchmarks/clips/train.txt`` frames three talking-face clips like MTFL).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

from lmsdk.errors import DataError
from lmsdk.geometry import Box
from lmsdk.images import IMAGE_SUFFIXES

VIDEO_SUFFIXES = (".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v")


@dataclass(frozen=True)
class Clip:
    """One clip of a video source: a video file or a folder of frames, and its crop box (None: centred)."""

    path: Path
    box: Box | None = None


def is_video_file(path: Path) -> bool:
    """Whether ``path`` is a file with a video suffix (:data:`VIDEO_SUFFIXES`)."""
    return path.is_file() and path.suffix.lower() in VIDEO_SUFFIXES


def is_clip_list(path: Path) -> bool:
    """A ``.txt`` file whose first entry names a video file or a folder of frames (and at most a box after it)."""
    if not (path.is_file() and path.suffix.lower() == ".txt"):
        return False
    try:
        entries = _entries(path)
    except (UnicodeDecodeError, OSError):
        return False
    if not entries:
        return False
    _, name, _ = entries[0]
    suffix = Path(name).suffix.lower()
    if suffix in VIDEO_SUFFIXES:
        return True
    # a folder of frames: one word, or a folder that is there (a line of prose has spaces and names none)
    return suffix == "" and (len(name.split()) == 1 or (path.parent / name).is_dir())


def find_clips(root: str | os.PathLike[str]) -> list[Clip]:
    """The clips of a video source (see the module docstring); :class:`DataError` when there are none."""
    root = Path(root)
    if not root.exists():
        raise DataError(f"{root}: no such video file or folder")
    if is_clip_list(root):
        return read_clip_list(root)
    if root.is_file():
        return [Clip(root)]
    videos = sorted(p for p in root.rglob("*") if is_video_file(p))
    frame_dirs = sorted({p.parent for p in root.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file()})
    clips = [Clip(p) for p in [*videos, *frame_dirs]]
    if not clips:
        raise DataError(f"{root}: no videos or frame folders found")
    return clips


def read_clip_list(path: str | os.PathLike[str]) -> list[Clip]:
    """The clips a clip list names; :class:`DataError` naming the file and line of a malformed or missing entry."""
    path = Path(path)
    clips = []
    for lineno, name, numbers in _entries(path):
        where = f"{path}:{lineno}"
        clip = path.parent / name
        if not (is_video_file(clip) or clip.is_dir()):
            raise DataError(
                f"{where}: {clip}: no such video file or folder of frames (a line is a clip path, optionally "
                "followed by a box X0 Y0 X1 Y1 in pixels)"
            )
        box = None
        if numbers is not None:
            x0, y0, x1, y1 = numbers
            if not (x1 > x0 and y1 > y0):
                raise DataError(f"{where}: the box needs X1 > X0 and Y1 > Y0, got {x0:g} {y0:g} {x1:g} {y1:g}")
            box = Box.from_xyxy(x0, y0, x1, y1)
        clips.append(Clip(clip, box))
    if not clips:
        raise DataError(f"{path}: the clip list names no clips")
    return clips


def write_clip_list(path: str | os.PathLike[str], clips: list[Clip], comment: str = "") -> None:
    """Write a clip list (paths relative to its folder where they can be), atomically."""
    from lmsdk.fileio import atomic_write_bytes

    path = Path(path)
    lines = [f"# {line}" for line in comment.splitlines()]
    for clip in clips:
        name = os.path.relpath(clip.path.resolve(), path.parent.resolve())
        if clip.box is None:
            lines.append(name)
        else:
            lines.append(f"{name} " + " ".join(f"{v:.1f}" for v in clip.box.to_xyxy()))
    atomic_write_bytes(path, ("\n".join(lines) + "\n").encode())


def _entries(path: Path) -> list[tuple[int, str, tuple[float, float, float, float] | None]]:
    """``(line number, clip path, box)`` of the list's non-empty, non-comment lines: a line that ends in four finite
    numbers has them as its box, and the path is the rest (it may hold spaces); otherwise the line is the path."""
    entries = []
    with path.open(encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            text = line.strip()
            if text and not text.startswith("#"):
                entries.append((lineno, *_path_and_box(text)))
    return entries


def _path_and_box(text: str) -> tuple[str, tuple[float, float, float, float] | None]:
    parts = text.rsplit(None, 4)
    if len(parts) == 5:
        try:
            x0, y0, x1, y1 = (float(v) for v in parts[1:])
        except ValueError:
            return text, None
        if all(math.isfinite(v) for v in (x0, y0, x1, y1)):
            return parts[0], (x0, y0, x1, y1)
    return text, None
