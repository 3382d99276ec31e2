"""Drawing a tracking result on its frame (BGR in, BGR out): the overlay of ``lmsdk track`` and the demos."""

from __future__ import annotations

import cv2
import numpy as np

from lmsdk.runtime.inputs import as_image
from lmsdk.runtime.tracking import TrackResult
from lmsdk.viz import draw_landmarks, draw_named


def draw_track(frame: np.ndarray, result: TrackResult, fps: float | None = None) -> np.ndarray:
    """A copy of the BGR frame with the landmarks (coloured crosses), the named points with their names (white
    discs), the crop box and a status line (state, confidence, and the frame rate and inference time when
    ``fps`` is given) drawn on it."""
    frame = as_image(frame, "frame")
    radius = max(3, frame.shape[0] // 120)
    out = draw_landmarks(frame, result.points, radius=radius, bgr=True)
    if result.named is not None:
        out = draw_named(out, result.named, result.names, radius=max(2, radius - 1))
    if result.box is not None:
        x0, y0, x1, y1 = (round(v) for v in result.box.to_xyxy())
        color = (80, 200, 80) if result.found else (60, 60, 220)
        cv2.rectangle(out, (x0, y0), (x1 - 1, y1 - 1), color, 1, cv2.LINE_AA)
    text = f"{result.state.value}  conf {float(np.nanmean(result.confidence)):.2f}"
    if fps is not None and fps == fps:
        text += f"  {fps:.0f} fps  {1000 * result.inference_seconds:.1f} ms"
    # White on a filled dark box: OpenCV 5 lays out thick outline text wider than thin text, so an outline
    # drawn with a thicker stroke no longer lines up with the letters.
    (width, height), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, 0.5, 1)
    cv2.rectangle(out, (4, 20 - height - 4), (12 + width, 20 + base + 2), (0, 0, 0), cv2.FILLED)
    cv2.putText(out, text, (8, 20), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (255, 255, 255), 1, cv2.LINE_AA)
    return out
