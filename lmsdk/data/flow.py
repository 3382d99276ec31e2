"""Optical flow between the frames of a clip (OpenCV's Farneback), as pure functions of the frames.

A flow ``f`` of shape ``(H, W, 2)`` maps the centre of pixel ``(x, y)`` of the first image to ``(x, y) + f[y, x]`` in
the second, in pixels of the images it was computed on. :func:`pair_flows` gives, for every pair of frames ``gap``
apart, the flow forward and back, computed over ``step``-frame hops and composed (the paper's App. C: 5-frame steps
accumulated to 10).
"""

from __future__ import annotations

from dataclasses import astuple, dataclass

import cv2
import numpy as np

from lmsdk.errors import DataError


@dataclass(frozen=True)
class FarnebackSettings:
    """The arguments of ``cv2.calcOpticalFlowFarneback`` after the images (OpenCV's names)."""

    pyr_scale: float = 0.5
    levels: int = 3
    winsize: int = 15
    iterations: int = 3
    poly_n: int = 5
    poly_sigma: float = 1.2


FARNEBACK = FarnebackSettings()


def farneback(a: np.ndarray, b: np.ndarray, settings: FarnebackSettings = FARNEBACK) -> np.ndarray:
    """Dense flow from image ``a`` to ``b`` (``(H, W)`` grey or ``(H, W, 3)`` RGB uint8), ``(H, W, 2)`` float32 pixels:
    pixel u of ``a`` is at ``u + flow[u]`` in ``b``."""
    ga, gb = (x if x.ndim == 2 else cv2.cvtColor(x, cv2.COLOR_RGB2GRAY) for x in (a, b))
    return cv2.calcOpticalFlowFarneback(ga, gb, None, *astuple(settings), 0)


def compose_flows(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """The flow of ``first`` followed by ``second``: ``u -> u + f1(u) + f2(u + f1(u))`` (bilinear, border clamp)."""
    h, w = first.shape[:2]
    gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    moved = cv2.remap(second, gx + first[..., 0], gy + first[..., 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return first + moved


def resize_flow(flow: np.ndarray, size: int) -> np.ndarray:
    """A square flow ``(W, W, 2)`` in pixels of side W as the flow of the same images at side ``size``
    (resampled, area-averaged when shrinking, and its vectors scaled by ``size / W``)."""
    side = flow.shape[0]
    if side == size:
        return flow
    interpolation = cv2.INTER_AREA if size < side else cv2.INTER_LINEAR
    return cv2.resize(flow, (size, size), interpolation=interpolation) * np.float32(size / side)


def pair_flows(
    frames: np.ndarray, gap: int, step: int, settings: FarnebackSettings = FARNEBACK
) -> tuple[np.ndarray, np.ndarray]:
    """The flows of every pair ``(t, t + gap)`` of a clip, each composed of ``gap / step`` Farneback hops.

    Args:
        frames: ``(T, W, W)`` grey or ``(T, W, W, 3)`` RGB uint8 frames (square crops of one clip).
        gap: frames between the two frames of a pair; a multiple of ``step``.
        step: frames between the two images of one Farneback call.

    Returns:
        ``forward`` and ``backward``, each ``(T - gap, W, W, 2)`` float32 pixels: ``forward[t]`` from frame t to
        frame t + gap, ``backward[t]`` from frame t + gap back to frame t.
    """
    if gap % step or gap < step or step < 1:
        raise DataError(f"the pair gap ({gap}) must be a positive multiple of the flow step ({step})")
    count = len(frames) - gap
    if count < 1:
        return (np.zeros((0, *frames.shape[1:3], 2), np.float32),) * 2
    hops = len(frames) - step
    ahead = [farneback(frames[t], frames[t + step], settings) for t in range(hops)]
    behind = [farneback(frames[t + step], frames[t], settings) for t in range(hops)]
    forward, backward = [], []
    for t in range(count):
        f = ahead[t]
        for s in range(t + step, t + gap, step):
            f = compose_flows(f, ahead[s])
        b = behind[t + gap - step]
        for s in range(t + gap - 2 * step, t - 1, -step):
            b = compose_flows(b, behind[s])
        forward.append(f)
        backward.append(b)
    return np.stack(forward), np.stack(backward)
