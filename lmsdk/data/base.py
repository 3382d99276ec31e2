"""The dataset interface every source implements: indexable square RGB crops, optionally with keypoints.

Images come out as ``(S, S, 3)`` uint8 **RGB** crops at the model's crop size S. Annotated keypoints,
where a source has them, come out as ``(P, 2)`` float32 normalised ``(x, y)`` in the frame of that crop
(:mod:`lmsdk.ops.coords`), NaN where a point is not annotated. Training never reads keypoints;
evaluation does.
"""

from __future__ import annotations

import abc
import logging

import numpy as np

logger = logging.getLogger(__name__)


class ImageSource(abc.ABC):
    """A finite set of square crops of one object category."""

    #: Side S of every crop, in pixels.
    crop_size: int
    #: Short human-readable description (for logs and run configs).
    description: str = ""

    @abc.abstractmethod
    def __len__(self) -> int: ...

    @abc.abstractmethod
    def image(self, index: int) -> np.ndarray:
        """Crop ``index`` as ``(S, S, 3)`` uint8 RGB."""

    def images(self, indices: np.ndarray | list[int]) -> np.ndarray:
        """Several crops as ``(N, S, S, 3)`` uint8 RGB."""
        return np.stack([self.image(int(i)) for i in indices])

    # -- annotations (optional) ------------------------------------------------------------------
    #: Names of the annotated keypoints, or None when the source has no annotations.
    keypoint_names: tuple[str, ...] | None = None
    #: Indices of the two points whose distance normalises errors (the eye centres for faces).
    normalizer_indices: tuple[int, int] | None = None

    def keypoints(self, index: int) -> np.ndarray:
        """Annotated keypoints of crop ``index``: ``(P, 2)`` float32 normalised crop coordinates, NaN if missing."""
        raise NotImplementedError(f"{type(self).__name__} has no keypoint annotations")

    def all_keypoints(self) -> np.ndarray:
        """Keypoints of every crop, ``(N, P, 2)``."""
        return np.stack([self.keypoints(i) for i in range(len(self))]).astype(np.float32)

    @property
    def has_keypoints(self) -> bool:
        return self.keypoint_names is not None


class CachedSource(ImageSource):
    """Decode each crop once and keep it in memory (an uint8 array of N x S x S x 3)."""

    def __init__(self, source: ImageSource) -> None:
        self.source = source
        self.crop_size = source.crop_size
        self.description = source.description
        self.keypoint_names = source.keypoint_names
        self.normalizer_indices = source.normalizer_indices
        n, s = len(source), source.crop_size
        logger.debug("caching %d crops of %d px (%.0f MB)", n, s, n * s * s * 3 / 1e6)
        self._cache = np.zeros((n, s, s, 3), np.uint8)
        self._filled = np.zeros(n, bool)

    def __len__(self) -> int:
        return len(self.source)

    def image(self, index: int) -> np.ndarray:
        if not self._filled[index]:
            self._cache[index] = self.source.image(index)
            self._filled[index] = True
        return self._cache[index]

    def keypoints(self, index: int) -> np.ndarray:
        return self.source.keypoints(index)

    def all_keypoints(self) -> np.ndarray:
        return self.source.all_keypoints()


class Subset(ImageSource):
    """The crops of ``source`` at ``indices`` (e.g. a train / test split)."""

    def __init__(self, source: ImageSource, indices: np.ndarray | list[int]) -> None:
        self.source = source
        self.indices = np.asarray(indices, dtype=np.int64)
        self.crop_size = source.crop_size
        self.description = f"{source.description} [{len(self.indices)} of {len(source)}]"
        self.keypoint_names = source.keypoint_names
        self.normalizer_indices = source.normalizer_indices

    def __len__(self) -> int:
        return len(self.indices)

    def image(self, index: int) -> np.ndarray:
        return self.source.image(int(self.indices[index]))

    def keypoints(self, index: int) -> np.ndarray:
        return self.source.keypoints(int(self.indices[index]))
