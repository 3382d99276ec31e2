"""What the runtime's public classes accept, checked once at the boundary with one-line errors.

Images are OpenCV BGR uint8 (:mod:`lmsdk.geometry` states the colour rule). Odd but valid inputs are
converted here rather than refused: a grey ``(H, W)`` or ``(H, W, 1)`` image becomes BGR, a BGRA image loses
its alpha, and non-contiguous views (``image[:, ::-1]``, crops) are copied. ``None`` (what ``cv2.imread``
returns for a missing file), strings, other dtypes, empty or oddly shaped arrays raise
:class:`~lmsdk.errors.ImageError`; invalid boxes, shifts, landmark indices and landmark arrays raise
:class:`~lmsdk.errors.InputError`.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from typing import Any

import cv2
import numpy as np

from lmsdk.errors import ImageError, InputError
from lmsdk.geometry import Box


def describe(value: object) -> str:
    """A short description of a value for messages: ``uint8 array of shape (4, 5)``, ``str 'face.jpg'``."""
    if isinstance(value, np.ndarray):
        return f"a {value.dtype} array of shape {value.shape}"
    if isinstance(value, (str, bytes, os.PathLike)):
        text = repr(value)
        return f"{type(value).__name__} {text if len(text) < 60 else text[:57] + '...'}"
    return f"a {type(value).__name__}"


def as_image(image: Any, what: str = "image") -> np.ndarray:
    """``image`` as a C-contiguous ``(H, W, 3)`` uint8 BGR array, or an :class:`ImageError` that says why not."""
    if image is None:
        raise ImageError(f"{what} is None (cv2.imread returns None when it cannot read a file: check the path)")
    if isinstance(image, (str, bytes, os.PathLike)):
        raise ImageError(f"{what} is {describe(image)}, not an image array: read the file first (cv2.imread)")
    if not isinstance(image, np.ndarray):
        raise ImageError(f"{what} is {describe(image)}; expected an HxWx3 uint8 BGR numpy array")
    if image.dtype != np.uint8:
        raise ImageError(
            f"{what} is {describe(image)}; lmsdk reads uint8 images (0-255): convert floats in [0, 1] with "
            "(image * 255).round().astype(np.uint8)"
        )
    channels = image.shape[2] if image.ndim == 3 else 1 if image.ndim == 2 else 0
    if channels not in (1, 3, 4):
        raise ImageError(f"{what} is {describe(image)}; expected HxWx3 BGR (or HxW grey, HxWx4 BGRA)")
    if image.shape[0] == 0 or image.shape[1] == 0:
        raise ImageError(f"{what} is empty ({describe(image)})")
    if channels == 1:
        return cv2.cvtColor(np.ascontiguousarray(image.reshape(image.shape[:2])), cv2.COLOR_GRAY2BGR)
    if channels == 4:
        return cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_BGRA2BGR)
    return np.ascontiguousarray(image)


def is_single_image(images: Any) -> bool:
    """Whether ``images`` is one image (anything but a list, tuple or 4-D array, which are batches)."""
    if isinstance(images, np.ndarray):
        return images.ndim != 4
    return not isinstance(images, (list, tuple))


def as_box(box: Any, what: str = "box", image: np.ndarray | None = None) -> Box | None:
    """``box`` itself when it is a :class:`Box` or None; an :class:`InputError` for anything else, or for a box
    lying wholly outside ``image`` (when given: a crop of nothing but padding would give landmarks of nothing)."""
    if box is not None and not isinstance(box, Box):
        raise InputError(f"{what} is {describe(box)}; pass an lmsdk Box, e.g. Box.from_xyxy(x0, y0, x1, y1)")
    if box is not None and image is not None and not box.overlaps(image.shape[1], image.shape[0]):
        x0, y0, x1, y1 = box.to_xyxy()
        raise InputError(
            f"{what} ({x0:g}, {y0:g})-({x1:g}, {y1:g}) lies wholly outside the {image.shape[1]}x{image.shape[0]} image"
        )
    return box


#: The largest landmark shift (pixels) :func:`as_moves` accepts: far beyond any picture, well inside float32.
MAX_SHIFT_PX = 1e6


def as_moves(moves: Any, num_landmarks: int) -> dict[int, tuple[float, float]]:
    """Landmark shifts ``{k: (dx, dy)}`` checked: existing landmark indices, two finite numbers each."""
    if not isinstance(moves, Mapping):
        raise InputError(f"moves is {describe(moves)}; pass a dict {{landmark: (dx, dy)}}")
    checked = {}
    for index, shift in moves.items():
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)):
            raise InputError(f"landmark {index!r}: indices are integers 0..{num_landmarks - 1}")
        if not 0 <= index < num_landmarks:
            raise InputError(f"landmark {index} does not exist (the model has {num_landmarks}: 0..{num_landmarks - 1})")
        try:
            dx, dy = (float(v) for v in shift)
        except (TypeError, ValueError):
            raise InputError(f"landmark {index}: the shift must be two numbers (dx, dy), got {shift!r}") from None
        if not (math.isfinite(dx) and math.isfinite(dy)):
            raise InputError(f"landmark {index}: the shift ({dx}, {dy}) must be finite")
        if max(abs(dx), abs(dy)) > MAX_SHIFT_PX:
            raise InputError(f"landmark {index}: the shift ({dx:g}, {dy:g}) is beyond {MAX_SHIFT_PX:g} pixels")
        checked[int(index)] = (dx, dy)
    return checked


def as_points(values: Any, shape: Sequence[int], what: str) -> tuple[np.ndarray, bool]:
    """A float32 array of ``shape`` or ``(N, *shape)``, finite everywhere; returns it with ``(N, ...)`` and whether
    it was a single item."""
    try:
        array = np.asarray(values, np.float32)
    except (TypeError, ValueError):
        raise InputError(f"{what} is {describe(values)}; expected numbers of shape {tuple(shape)}") from None
    single = array.ndim == len(shape)
    batch = array[None] if single else array
    if batch.ndim != len(shape) + 1 or tuple(batch.shape[1:]) != tuple(shape) or len(batch) == 0:
        raise InputError(
            f"{what} has shape {array.shape}; expected {tuple(shape)} or (N, {', '.join(map(str, shape))})"
        )
    if not np.isfinite(batch).all():
        raise InputError(f"{what} holds NaN or infinite values")
    return batch, single


def as_timestamp(timestamp: Any, previous: float | None) -> float:
    """A finite number of seconds after ``previous``."""
    try:
        value = float(timestamp)
    except (TypeError, ValueError):
        raise InputError(f"timestamp {timestamp!r}: expected seconds as a number") from None
    if not math.isfinite(value):
        raise InputError(f"timestamp {timestamp!r}: must be finite")
    if previous is not None and value <= previous:
        raise InputError(f"timestamps must increase: got {value:.6f} s after {previous:.6f} s")
    return value
