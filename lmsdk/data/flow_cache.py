"""Optical flow computed once per clip and kept on disk, checked against the clip and the settings it came from.

One ``.npz`` file per clip and flow settings (numpy arrays only, read without pickle), written atomically:

- beside the clip, in ``.lmsdk-flow/NAME-SETTINGS.npz`` of the clip's folder, where that folder can be written
  and its permissions say so (a folder without write permission bits is read-only data, even to root);
- else in the user's cache, ``$XDG_CACHE_HOME/lmsdk/flow`` (``~/.cache/lmsdk/flow``), as
  ``NAME-PATH-SETTINGS.npz`` (``PATH``: a hash of the clip's absolute path);
- or only in the folder a run names (``DataConfig.flow_cache``, ``lmsdk train --flow-cache DIR``).

``SETTINGS`` hashes everything the flows depend on besides the clip (crop box and size, pair gap and flow step,
the flow's working size, Farneback's parameters, OpenCV's version, the cache layout); the file repeats them in
full. The clip is identified by its size, by a listing of its files (name, size and modification time of each:
one file for a video, every frame of a frame folder), and by the SHA-256 of its bytes where the listing differs (a
copied or touched clip whose bytes are the same keeps its flows; renamed, reordered or replaced frames do not). A
file that does not match is stale: the flows are computed again and replace it.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import zipfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from lmsdk.fileio import atomic_write_bytes
from lmsdk.images import IMAGE_SUFFIXES

logger = logging.getLogger(__name__)

LAYOUT_VERSION = 1
BESIDE_FOLDER = ".lmsdk-flow"


@dataclass(frozen=True)
class ClipFingerprint:
    """What identifies a clip's content: its size (a frame folder's: the sum of its frames'), its ``listing`` (a hash
    of each file's name, size and modification time, in name order) and the SHA-256 of its names and bytes."""

    size: int
    listing: str
    sha256: str


@dataclass(frozen=True)
class PairFlows:
    """The flows of every pair of a clip: ``(P, S, S, 2)`` float16 pixels of the ``S``-pixel crops each."""

    forward: np.ndarray  # forward[t]: frame t -> frame t + gap
    backward: np.ndarray  # backward[t]: frame t + gap -> frame t


def _clip_files(clip: Path) -> list[Path]:
    if clip.is_dir():
        return sorted(p for p in clip.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
    return [clip]


def _stat(clip: Path) -> tuple[int, str]:
    """``(size, listing)`` of a clip: its bytes (summed over a frame folder) and a hash of each file's name, size and
    modification time."""
    listing, size = hashlib.sha256(), 0
    for path in _clip_files(clip):
        st = path.stat()
        size += st.st_size
        listing.update(f"{path.name}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return size, listing.hexdigest()


def _sha256(clip: Path) -> str:
    digest = hashlib.sha256()
    for path in _clip_files(clip):
        if clip.is_dir():
            digest.update(path.name.encode() + b"\0")
        with path.open("rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def fingerprint(clip: Path) -> ClipFingerprint:
    """The clip's :class:`ClipFingerprint` now (reads every byte of it)."""
    size, listing = _stat(clip)
    return ClipFingerprint(size, listing, _sha256(clip))


def settings_key(settings: dict[str, Any]) -> str:
    """A short stable hash of a JSON-able settings dict (the ``SETTINGS`` of the file names)."""
    text = json.dumps({"layout": LAYOUT_VERSION, **settings}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def user_cache_folder() -> Path:
    """``$XDG_CACHE_HOME/lmsdk/flow``, or ``~/.cache/lmsdk/flow``."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "lmsdk" / "flow"


class FlowCache:
    """Where the flows of clips are kept (``folder``: only there; None: beside each clip, else the user's cache)."""

    def __init__(self, folder: str | os.PathLike[str] | None = None) -> None:
        self.folder = None if folder is None else Path(folder)

    def candidates(self, clip: Path, settings: dict[str, Any]) -> list[Path]:
        """The files that may hold the flows of ``clip`` under ``settings``, in the order they are tried."""
        key = settings_key(settings)
        where = hashlib.sha256(str(clip.resolve()).encode()).hexdigest()[:8]
        central = f"{clip.name}-{where}-{key}.npz"
        if self.folder is not None:
            return [self.folder / central]
        return [clip.parent / BESIDE_FOLDER / f"{clip.name}-{key}.npz", user_cache_folder() / central]

    def load(self, clip: Path, settings: dict[str, Any]) -> PairFlows | None:
        """The cached flows of ``clip`` under ``settings``, or None where no file holds them or every one is stale."""
        size, listing = _stat(clip)
        sha: str | None = None
        for path in self.candidates(clip, settings):
            meta, flows = _read(path)
            if meta is None or flows is None:
                continue
            if meta.get("settings") != json.loads(json.dumps(settings)):
                logger.info("%s: stale flow cache (other settings); recomputing", path)
                continue
            stored = meta.get("clip", {})
            if stored.get("size") != size:
                logger.info("%s: stale flow cache (the clip changed size); recomputing", path)
                continue
            if stored.get("listing") != listing:
                sha = sha or _sha256(clip)
                if stored.get("sha256") != sha:
                    logger.info("%s: stale flow cache (the clip's content changed); recomputing", path)
                    continue
                # the same bytes, touched or copied (or a file of an earlier lmsdk): recorded, so as not to hash again
                _write(path, {**meta, "clip": {**stored, "listing": listing}}, flows)
            logger.info("flows of %s read from %s", clip, path)
            return flows
        return None

    def save(
        self, clip: Path, settings: dict[str, Any], flows: PairFlows, content: ClipFingerprint | None = None
    ) -> Path | None:
        """Write the flows to the first place that can be written; returns it (None, with a warning, where none
        can: the flows are then computed again next time). ``content``: the clip's fingerprint taken before the
        flows were computed from it (default: now)."""
        content = content or fingerprint(clip)
        meta = {"layout": LAYOUT_VERSION, "settings": settings, "clip": asdict(content)}
        for i, path in enumerate(self.candidates(clip, settings)):
            if i == 0 and self.folder is None and not _writable_data_folder(clip.parent):
                continue
            if not _write(path, meta, flows):
                continue
            logger.info("flows of %s cached at %s", clip, path)
            return path
        logger.warning("flows of %s could not be cached (no writable place); they are recomputed next time", clip)
        return None


def _write(path: Path, meta: dict[str, Any], flows: PairFlows) -> bool:
    """Write one cache file atomically; False (logged) where it cannot be written."""
    buffer = io.BytesIO()
    np.savez(buffer, meta=np.array(json.dumps(meta)), forward=flows.forward, backward=flows.backward)
    try:
        atomic_write_bytes(path, buffer.getvalue())
    except OSError as exc:
        logger.debug("cannot cache flows at %s: %s", path, exc)
        return False
    return True


def _writable_data_folder(folder: Path) -> bool:
    """Whether a data folder may hold a cache: writable to this process, with a write permission bit set."""
    beside = folder / BESIDE_FOLDER
    target = beside if beside.is_dir() else folder
    try:
        mode = target.stat().st_mode
    except OSError:
        return False
    return bool(mode & 0o222) and os.access(target, os.W_OK)


def _read(path: Path) -> tuple[dict[str, Any] | None, PairFlows | None]:
    """The metadata and flows of a cache file; ``(None, None)`` where it is missing or unreadable."""
    if not path.is_file():
        return None, None
    try:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(str(data["meta"]))
            flows = PairFlows(data["forward"], data["backward"])
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
        logger.info("%s: unreadable flow cache (%s); recomputing", path, exc)
        return None, None
    if meta.get("layout") != LAYOUT_VERSION or flows.forward.shape != flows.backward.shape:
        return None, None
    return meta, flows
