"""Drawing a tracking result on its frame (BGR in, BGR out): the overlay of ``lmsdk track`` and the demos."""

from __future__ import annotations

import cv2
import numpy as np

from lmsdk.runtime.inputs import as_image
from lmsdk.runtime.tracking import TrackResult
from lmsdk.viz import draw_landmarks


def draw_track(frame: np.ndarray, result: TrackResult, fps: float | None = None) -> np.ndarray:
    """A copy of the BGR frame with the landmarks, the crop box and a status line (state, confidence, and the
    frame rate and inference time when ``fps`` is given) drawn on it."""
    frame = as_image(frame, "frame")
    out = draw_landmarks(frame, result.points, radius=max(3, frame.shape[0] // 120), bgr=True)
    if result.box is not None:
        x0, y0, x1, y1 = (round(v) for v in result.box.to_xyxy())
        color = (80, 200, 80) if result.found else (60, 60, 220)
        cv2.rectangle(out, (x0, y0), (x1 - 1, y1 - 1), color, 1, cv2.LINE_AA)
    text = f"{result.state.value}  conf {float(np.nanmean(result.confidence)):.2f}"
    if fps is not None and fps == fps:
        text += f"  {fps:.0f} fps  {1000 * result.inference_seconds:.1f} ms"
    cv2.putText(out, text, (8, 20), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 3, cv2.LINE_AA)
    cv2.putText(out, text, (8, 20), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (255, 255, 255), 1, cv2.LINE_AA)
    return out
