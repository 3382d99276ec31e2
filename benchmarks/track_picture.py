"""A picture of trackers over a still stretch of a clip: each one's points traced on the face, and how far they move
from frame to frame.

One panel per tracker: the face region of the stretch's first frame with the path of each point over the stretch
drawn around the point's mean position, its wanderings magnified (raw thin grey, smoothed thick); under the panels,
the per-frame motion of every tracker's points over the stretch (the mean over its points, in eye distances).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from lmsdk.geometry import Box, crop_resize, image_to_crop

PANEL = 320  # pixels per panel side
COLOURS = ((60, 200, 255), (255, 160, 60), (120, 220, 120), (200, 120, 255))  # BGR, one per tracker


@dataclass(frozen=True)
class Traced:
    """One tracker's points over a clip: ``(T, P, 2)`` OpenCV pixels of the frames (NaN where lost)."""

    name: str
    smoothed: np.ndarray
    raw: np.ndarray | None = None


def _trace(
    panel: np.ndarray, points: np.ndarray, box: Box, colour: tuple[int, int, int], thickness: int, magnify: float
) -> None:
    """Draw the path of each point ``(n, P, 2)`` of a stretch on a panel showing ``box``, its offsets from the
    point's mean position magnified."""
    for k in range(points.shape[1]):
        path = image_to_crop(points[:, k], box) * PANEL
        path = path[np.isfinite(path).all(1)]
        if len(path) > 1:
            centre = path.mean(0)
            path = centre + (path - centre) * magnify
            cv2.polylines(panel, [np.round(path * 4).astype(np.int32)], False, colour, thickness, cv2.LINE_AA, shift=2)


def _chart(series: list[tuple[str, np.ndarray]], width: int, height: int = 160) -> np.ndarray:
    """Lines of per-step motion (eye distances), one per tracker, on a white strip with a scale."""
    chart = np.full((height, width, 3), 255, np.uint8)
    finite = [s for _, s in series if np.isfinite(s).any()]
    top = max(float(np.nanmax(s)) for s in finite) if finite else 1.0
    top = top if top > 0 else 1.0
    for i, (name, values) in enumerate(series):
        colour = COLOURS[i % len(COLOURS)]
        xs = np.linspace(10, width - 10, len(values))
        ys = height - 20 - (np.nan_to_num(values) / top) * (height - 40)
        pts = np.stack([xs, ys], 1)
        cv2.polylines(chart, [np.round(pts * 4).astype(np.int32)], False, colour, 2, cv2.LINE_AA, shift=2)
        cv2.putText(chart, name, (12 + 150 * i, 14), cv2.FONT_HERSHEY_SIMPLEX, 0.45, colour, 1, cv2.LINE_AA)
    label = f"motion per frame, eye distances (top {top:.3f})"
    cv2.putText(chart, label, (12, height - 5), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (0, 0, 0), 1, cv2.LINE_AA)
    return chart


def draw_stretch(
    frame: np.ndarray,
    box: Box,
    tracks: list[Traced],
    start: int,
    stop: int,
    eye_distance: float,
    title: str,
    magnify: float = 8.0,
) -> np.ndarray:
    """The picture (BGR uint8) of ``tracks`` over frames ``start`` to ``stop`` (exclusive) on ``frame`` (BGR, the
    stretch's first frame), zoomed into the face region ``box``, each point's wanderings ``magnify`` times."""
    panels = []
    for i, track in enumerate(tracks):
        panel = crop_resize(frame, box, PANEL)
        panel = (0.55 * panel + 0.45 * 255).astype(np.uint8)  # faded: the paths stand out
        colour = COLOURS[i % len(COLOURS)]
        if track.raw is not None:
            _trace(panel, track.raw[start:stop], box, (90, 90, 90), 1, magnify)
        _trace(panel, track.smoothed[start:stop], box, colour, 2, magnify)
        cv2.putText(panel, track.name, (8, 22), cv2.FONT_HERSHEY_SIMPLEX, 0.6, colour, 2, cv2.LINE_AA)
        panels.append(panel)
    row = np.hstack(panels)
    series = []
    for track in tracks:
        stretch = track.smoothed[start:stop]
        series.append((track.name, np.linalg.norm(np.diff(stretch, axis=0), axis=-1).mean(-1) / eye_distance))
    return np.vstack([_header(title, row.shape[1]), row, _chart(series, row.shape[1])])


def _header(title: str, width: int) -> np.ndarray:
    """The title on a white strip, wrapped at word boundaries to fit ``width`` pixels."""
    font, scale = cv2.FONT_HERSHEY_SIMPLEX, 0.5
    lines: list[str] = []
    for word in title.split():
        if lines and cv2.getTextSize(f"{lines[-1]} {word}", font, scale, 1)[0][0] <= width - 16:
            lines[-1] += f" {word}"
        else:
            lines.append(word)
    header = np.full((8 + 20 * len(lines), width, 3), 255, np.uint8)
    for i, line in enumerate(lines):
        cv2.putText(header, line, (8, 19 + 20 * i), font, scale, (0, 0, 0), 1, cv2.LINE_AA)
    return header
