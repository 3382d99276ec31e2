"""The numpy twin of :mod:`lmsdk.ops.coords`, and the crop geometry and colour rule training and the runtime share.

Torch-free (numpy + OpenCV); :mod:`lmsdk.data` crops training images with these very functions and
:mod:`lmsdk.runtime` preprocesses with them, so the runtime's preprocessing is not a re-implementation
of the training transform: it is the same code.

Coordinates (the same as ``lmsdk.ops.coords``): points are ``(x, y)``; normalised coordinates are in
``[0, 1]`` over an image or crop with the centre of pixel column ``i`` at ``(i + 0.5) / W``; pixel
coordinates follow OpenCV (pixel ``i``'s centre is ``x = i``). A :class:`Box` is in pixel-edge
coordinates (an image spans ``[0, W] x [0, H]``).

Colour, the one rule: **inside lmsdk images are RGB** (datasets, crops, the trainer, the graphs' inputs
and outputs, the trainer's figures); **at the runtime's public boundary they are OpenCV BGR uint8** (what
``cv2.imread`` and ``cv2.VideoCapture`` give and what ``cv2.imwrite`` takes: the arguments and results of
``Detector``, ``Encoder``, ``Decoder``, ``ShapeEditor``, ``Tracker``, ``VideoSource`` and ``VideoSink``).
Channels are swapped only where an image crosses that boundary or a file boundary (reading and writing
image and video files, :mod:`lmsdk.images`), always with :func:`bgr_to_rgb` / :func:`rgb_to_bgr`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from lmsdk.errors import InputError


def pixels_to_normalized(points: np.ndarray, width: float, height: float) -> np.ndarray:
    """OpenCV pixel coordinates ``(..., 2)`` -> normalised coordinates of a ``width x height`` image."""
    return (np.asarray(points, np.float64) + 0.5) / np.array([width, height], np.float64)


def normalized_to_pixels(points: np.ndarray, width: float, height: float) -> np.ndarray:
    """Normalised coordinates ``(..., 2)`` -> OpenCV pixel coordinates of a ``width x height`` image."""
    return np.asarray(points, np.float64) * np.array([width, height], np.float64) - 0.5


def bgr_to_rgb(image: np.ndarray) -> np.ndarray:
    """Swap the channel order of ``(..., 3)`` images (a view): OpenCV BGR -> lmsdk's RGB."""
    return image[..., ::-1]


def rgb_to_bgr(image: np.ndarray) -> np.ndarray:
    """Swap the channel order of ``(..., 3)`` images (a view): lmsdk's RGB -> OpenCV BGR."""
    return image[..., ::-1]


def to_model_input(crops_rgb: np.ndarray, scale: float = 1.0 / 255.0) -> np.ndarray:
    """``(N, S, S, 3)`` uint8 RGB crops -> ``(N, 3, S, S)`` float32 in ``[0, 1]``: the graphs' image input.

    The numpy twin of ``lmsdk.ops.images.images_to_tensor`` (the same layout and scaling).
    """
    return np.ascontiguousarray(np.asarray(crops_rgb).transpose(0, 3, 1, 2), np.float32) * np.float32(scale)


def from_model_output(images: np.ndarray) -> np.ndarray:
    """``(N, 3, S, S)`` float in ``[0, 1]`` (a decoder's output) -> ``(N, S, S, 3)`` uint8, rounded and clipped.

    The numpy twin of ``lmsdk.ops.images.tensor_to_images``.
    """
    return np.clip(np.rint(np.asarray(images).transpose(0, 2, 3, 1) * 255.0), 0, 255).astype(np.uint8)


@dataclass(frozen=True)
class Box:
    """An axis-aligned region of an image in pixel-edge coordinates (not necessarily square).

    Raises:
        InputError: a value is not a finite number, or the width or height is not positive.
    """

    left: float
    top: float
    width: float
    height: float

    def __post_init__(self) -> None:
        values = (self.left, self.top, self.width, self.height)
        try:
            finite = all(not isinstance(v, bool) and math.isfinite(v) for v in values)
        except TypeError:  # a string, None, an array
            finite = False
        if not finite or self.width <= 0 or self.height <= 0:
            raise InputError(
                f"Box(left={self.left!r}, top={self.top!r}, width={self.width!r}, height={self.height!r}): "
                "needs four finite numbers and a positive width and height"
            )

    @staticmethod
    def centered_square(image_width: float, image_height: float, fraction: float = 1.0) -> Box:
        """The largest centred square of an image, shrunk to ``fraction`` of its side."""
        side = min(image_width, image_height) * fraction
        return Box((image_width - side) / 2, (image_height - side) / 2, side, side)

    @staticmethod
    def around(center_x: float, center_y: float, side: float) -> Box:
        """A square of ``side`` centred on the pixel-edge point ``(center_x, center_y)``."""
        return Box(center_x - side / 2, center_y - side / 2, side, side)

    @staticmethod
    def from_xyxy(x0: float, y0: float, x1: float, y1: float) -> Box:
        return Box(x0, y0, x1 - x0, y1 - y0)

    def to_xyxy(self) -> tuple[float, float, float, float]:
        return (self.left, self.top, self.left + self.width, self.top + self.height)

    @property
    def center(self) -> tuple[float, float]:
        return (self.left + self.width / 2, self.top + self.height / 2)

    def overlaps(self, image_width: float, image_height: float) -> bool:
        """Whether any of the box lies on an ``image_width x image_height`` image (edges touching do not count)."""
        inside_x = self.left < image_width and self.left + self.width > 0
        return inside_x and self.top < image_height and self.top + self.height > 0

    def scaled(self, factor: float) -> Box:
        """The same centre, sides times ``factor``."""
        cx, cy = self.center
        return Box(
            cx - self.width * factor / 2, cy - self.height * factor / 2, self.width * factor, self.height * factor
        )


@dataclass(frozen=True)
class CropPlan:
    """How :func:`crop_resize` cuts a box out of an image: the source region ``(x0, y0, x1, y1)`` (pixels), the
    size ``(w, h)`` it is area-averaged to first (None: used as it is), and the 2x3 matrix mapping crop pixels
    into that (averaged) region."""

    region: tuple[int, int, int, int]
    shrunk: tuple[int, int] | None
    matrix: np.ndarray


def crop_plan(height: int, width: int, box: Box, size: int) -> CropPlan:
    """The plan of :func:`crop_resize` for ``box`` of an ``height x width`` image and a ``size`` px crop.

    Shrinking by ``f = 2 k`` or more (k a whole number), only the region the crop samples (the box grown by one
    block of ``f`` pixels, aligned to the blocks, inside the image) is area-averaged by ``f``: the work follows
    the box, not the frame.
    """
    sx, sy = box.width / size, box.height / size
    factor = 2 * int(min(sx, sy) // 2)
    if factor < 2:
        matrix = np.array([[sx, 0, box.left + 0.5 * sx - 0.5], [0, sy, box.top + 0.5 * sy - 0.5]], np.float64)
        return CropPlan((0, 0, width, height), None, matrix)
    right, bottom = box.left + box.width, box.top + box.height
    x0 = min(max(0, (math.floor(box.left / factor) - 1) * factor), width - 1)
    y0 = min(max(0, (math.floor(box.top / factor) - 1) * factor), height - 1)
    x1 = max(min(width, (math.ceil(right / factor) + 1) * factor), x0 + 1)
    y1 = max(min(height, (math.ceil(bottom / factor) + 1) * factor), y0 + 1)
    shrunk = (max(1, round((x1 - x0) / factor)), max(1, round((y1 - y0) / factor)))
    fx, fy = shrunk[0] / (x1 - x0), shrunk[1] / (y1 - y0)
    left, top, sx, sy = (box.left - x0) * fx, (box.top - y0) * fy, box.width * fx / size, box.height * fy / size
    # Output pixel centre (i + 0.5) sits at edge coordinate left + (i + 0.5) * sx of the source, i.e. at OpenCV
    # pixel left + (i + 0.5) * sx - 0.5.
    matrix = np.array([[sx, 0, left + 0.5 * sx - 0.5], [0, sy, top + 0.5 * sy - 0.5]], np.float64)
    return CropPlan((x0, y0, x1, y1), shrunk, matrix)


class CropScratch:
    """A buffer kept between :func:`crop_resize` calls for the area-averaged region (grown when a bigger one
    comes), so that a tracker's per-frame crops allocate nothing."""

    def __init__(self) -> None:
        self._buffer = np.empty((0, 0, 0), np.uint8)

    def view(self, width: int, height: int, like: np.ndarray) -> np.ndarray:
        shape = (height, width, *like.shape[2:])
        buffer = self._buffer
        if (
            buffer.dtype != like.dtype
            or buffer.shape[2:] != like.shape[2:]
            or any(have < want for have, want in zip(buffer.shape[:2], shape[:2], strict=True))
        ):
            grown = (max(height, buffer.shape[0]), max(width, buffer.shape[1]) if buffer.size else width)
            self._buffer = buffer = np.empty((*grown, *like.shape[2:]), like.dtype)
        return buffer[:height, :width]


def crop_resize(
    image: np.ndarray, box: Box, size: int, *, out: np.ndarray | None = None, scratch: CropScratch | None = None
) -> np.ndarray:
    """Cut ``box`` out of an HxWxC image and resize it to ``size x size``; outside pixels replicate the edge.

    Bilinear; when shrinking by 2x or more the region is first area-averaged (see :func:`crop_plan`) so small
    crops of large photos do not alias. ``out`` (``size x size x C``, the image's dtype) receives the crop and
    ``scratch`` holds the averaged region between calls: a tracker's per-frame crops then allocate nothing.
    """
    plan = crop_plan(image.shape[0], image.shape[1], box, size)
    src = image
    if plan.shrunk is not None:
        x0, y0, x1, y1 = plan.region
        region = image[y0:y1, x0:x1]
        dst = None if scratch is None else scratch.view(*plan.shrunk, region)
        src = cv2.resize(region, plan.shrunk, dst=dst, interpolation=cv2.INTER_AREA)
    return cv2.warpAffine(
        src,
        plan.matrix,
        (size, size),
        dst=out,
        flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
        borderMode=cv2.BORDER_REPLICATE,
    )


def crop_to_image(points: np.ndarray, box: Box) -> np.ndarray:
    """Normalised crop coordinates ``(..., 2)`` -> OpenCV pixel coordinates of the image the box is in."""
    p = np.asarray(points, np.float64)
    return np.array([box.left, box.top]) + p * np.array([box.width, box.height]) - 0.5


def image_to_crop(points: np.ndarray, box: Box) -> np.ndarray:
    """OpenCV pixel coordinates ``(..., 2)`` of an image -> normalised coordinates of the crop ``box``."""
    p = np.asarray(points, np.float64) - np.array([box.left, box.top])
    return pixels_to_normalized(p, box.width, box.height)
