"""The face's own motion in a clip, from the pixels: Farneback flow inside a face region, frame to frame.

The steadiness benchmark chooses still frames and measures lag with it, so neither depends on the tracker under
test. The region comes from a reference track (MediaPipe FaceMesh's five points where it runs, else the first
model's tracker boxes), the same for every row of a clip.
"""

from __future__ import annotations

import cv2
import numpy as np

from lmsdk.data.flow import farneback
from lmsdk.geometry import Box, crop_resize

FACE_SIDE_PER_EYE_DISTANCE = 3.5  # the side of a face region around the five points (MTFL's crops: 3.56)


def boxes_from_points(points: np.ndarray) -> list[Box | None]:
    """Face regions ``(T,)`` (pixel-edge boxes) around five face points ``(T, 5, 2)`` (OpenCV pixel centres, eyes
    first; NaN where not found): centred on
    the points' mean, :data:`FACE_SIDE_PER_EYE_DISTANCE` eye distances on a side. Frames without points take the
    clip's median region (None when no frame has points)."""
    found = np.isfinite(points).all((1, 2))
    if not found.any():
        return [None] * len(points)
    centres = points.mean(1) + 0.5  # pixel centres -> the pixel-edge frame of Box
    sides = FACE_SIDE_PER_EYE_DISTANCE * np.linalg.norm(points[:, 1] - points[:, 0], axis=-1)
    median = Box.around(*np.median(centres[found], 0), float(np.median(sides[found])))
    return [Box.around(*centres[t], float(sides[t])) if found[t] else median for t in range(len(points))]


def fill_boxes(boxes: list[Box | None]) -> list[Box | None]:
    """Tracker boxes with the frames a tracker lost filled by the nearest earlier box (the first ones by the first
    box found)."""
    first = next((b for b in boxes if b is not None), None)
    filled, last = [], first
    for box in boxes:
        last = box if box is not None else last
        filled.append(last)
    return filled


def region_motion(frames: list[np.ndarray], boxes: list[Box | None], size: int = 128) -> tuple[np.ndarray, np.ndarray]:
    """The face region's motion per step, from the flow between consecutive frames inside frame t's region.

    Args:
        frames: ``(T,)`` BGR uint8 frames.
        boxes: ``(T,)`` the face region of each frame (None: unknown).
        size: the side the region is resampled to for the flow.

    Returns:
        ``velocity`` ``(T - 1, 2)``: the median flow vector of the region in frame pixels per step; ``motion``
        ``(T - 1,)``: the median flow magnitude over the region's side (NaN where the region is unknown).
    """
    velocity = np.full((len(frames) - 1, 2), np.nan)
    motion = np.full(len(frames) - 1, np.nan)
    grey = [cv2.cvtColor(f, cv2.COLOR_BGR2GRAY) for f in frames]
    for t, box in enumerate(boxes[:-1]):
        if box is None:
            continue
        flow = farneback(crop_resize(grey[t], box, size), crop_resize(grey[t + 1], box, size))
        velocity[t] = np.median(flow.reshape(-1, 2), axis=0) * box.width / size
        motion[t] = float(np.median(np.linalg.norm(flow, axis=-1))) / size
    return velocity, motion
