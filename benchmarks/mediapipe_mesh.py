"""MediaPipe FaceMesh as a reference tracker for the benchmarks (optional; never a dependency of lmsdk).

It needs ``mediapipe`` with its legacy ``solutions`` API (0.10.x up to 0.10.21 at least, numpy < 2: a venv of its
own, e.g. ``/work/mpvenv``, with lmsdk on ``PYTHONPATH``). :func:`face_mesh_track` is None where it is missing.

The five points lmsdk's face models name (image-left first, MTFL's convention) are FaceMesh's iris centres
(with ``refine_landmarks``), nose tip and mouth corners: :data:`FIVE_POINTS`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import cv2
import numpy as np

#: FaceMesh indices of lmsdk's named face points (468 and 473: the iris centres of the refined mesh; 468 is the
#: image-left one, the subject's right eye).
FIVE_POINTS = {"left_eye": 468, "right_eye": 473, "nose": 1, "mouth_left": 61, "mouth_right": 291}


@dataclass(frozen=True)
class MeshTrack:
    """FaceMesh over a clip in video mode: its points and the time it took per frame."""

    points: np.ndarray  # (T, N, 2) OpenCV pixels of the frames (N = 468, or 478 refined); NaN where no face was found
    ms: np.ndarray  # (T,) milliseconds per frame

    def named(self, names: tuple[str, ...] = tuple(FIVE_POINTS)) -> np.ndarray:
        """``(T, P, 2)`` the points lmsdk's face models name, in the order of ``names`` (a refined mesh)."""
        return self.points[:, [FIVE_POINTS[n] for n in names]]


def face_mesh_track(frames: list[np.ndarray], refine: bool = False) -> MeshTrack | None:
    """FaceMesh (video mode, one face) on BGR frames in memory; None where mediapipe is not installed."""
    try:
        import mediapipe  # type: ignore[import-not-found]

        face_mesh = mediapipe.solutions.face_mesh
    except (ImportError, AttributeError):
        return None
    count = 478 if refine else 468
    points, ms = [], []
    with face_mesh.FaceMesh(static_image_mode=False, max_num_faces=1, refine_landmarks=refine) as mesh:
        for image in frames:
            rgb = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
            start = time.perf_counter()
            found = mesh.process(rgb).multi_face_landmarks
            ms.append(1000 * (time.perf_counter() - start))
            h, w = image.shape[:2]
            if found:
                # MediaPipe's x, y are fractions of the frame's width and height (edges); OpenCV's pixel centres
                points.append(np.array([(q.x * w - 0.5, q.y * h - 0.5) for q in found[0].landmark], np.float32))
            else:
                points.append(np.full((count, 2), np.nan, np.float32))
    return MeshTrack(np.asarray(points), np.asarray(ms))
