"""A held-out clip as benchmarks/steadiness.py measures it: its frames, what every row is measured against (the face
region and its motion, the still steps, the eye-distance yardstick, MediaPipe's five points) and the figures of
one track on it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.face_motion import boxes_from_points, fill_boxes, region_motion
from benchmarks.mediapipe_mesh import FIVE_POINTS, MeshTrack, face_mesh_track
from benchmarks.steadiness_measures import centroid_velocity, jitter, jitter_in, quiet_steps, velocity_lag
from benchmarks.tracker_pass import Track, load_frames
from lmsdk.geometry import Box
from lmsdk.runtime import Detector

NAMES = tuple(FIVE_POINTS)  # left_eye, right_eye, nose, mouth_left, mouth_right (image-left first)


@dataclass(frozen=True)
class Clip:
    """A clip in memory and what every row of it is measured against (:func:`settled` gives a copy with the rest
    filled in)."""

    name: str
    frames: list[np.ndarray]  # BGR
    stamps: np.ndarray  # (T,) seconds
    mesh: MeshTrack | None = None  # MediaPipe's refined mesh, where it runs
    region: list[Box | None] = dataclasses.field(default_factory=list)  # (T,) the face region
    region_from: str = ""
    velocity: np.ndarray | None = None  # (T - 1, 2) the face region's flow, pixels per step
    still: np.ndarray | None = None  # (T - 1,) bool
    eye_distance: float = float("nan")  # pixels: the clip's yardstick

    @property
    def five(self) -> np.ndarray | None:
        """``(T, 5, 2)`` MediaPipe's five face points (None without MediaPipe)."""
        return None if self.mesh is None else self.mesh.named(NAMES)


def load_clip(path: Path, max_frames: int | None = None) -> Clip:
    """A clip's frames (the first ``max_frames``) and MediaPipe's refined mesh on them where it is installed."""
    frames, stamps = load_frames(path, max_frames)
    return Clip(path.name, frames, stamps, mesh=face_mesh_track(frames, refine=True))


def settled(clip: Clip, fallback: Track) -> Clip:
    """``clip`` with its face region, the region's motion, the still steps and the yardstick: from MediaPipe's five
    points where it runs, else from ``fallback`` (the first model's raw track). A settled clip is returned as it
    is, so every row of a clip is measured against the same reference."""
    if clip.still is not None:
        return clip
    five = clip.five
    eye_distance = float("nan")
    if five is not None and np.isfinite(five).all((1, 2)).any():
        region, region_from = boxes_from_points(five), "mediapipe"
        eye_distance = float(np.nanmedian(np.linalg.norm(five[:, 1] - five[:, 0], axis=-1)))
    else:
        region, region_from = fill_boxes(fallback.boxes), "first model"
        if fallback.named is not None:
            eyes = fallback.named[:, 1] - fallback.named[:, 0]
            eye_distance = float(np.nanmedian(np.linalg.norm(eyes, axis=-1)))
    velocity, motion = region_motion(clip.frames, region)
    return dataclasses.replace(
        clip,
        region=region,
        region_from=region_from,
        velocity=velocity,
        still=quiet_steps(motion),
        eye_distance=eye_distance,
    )


def has_face_points(detector: Detector) -> bool:
    """Whether an artifact names the five face points (left_eye, right_eye, nose, mouth_left, mouth_right)."""
    return list(detector.named_points) == list(NAMES)


def agreement(named: np.ndarray, five: np.ndarray) -> tuple[float, float]:
    """Mean distance of named points ``(T, 5, 2)`` from MediaPipe's ``(T, 5, 2)`` over each frame's MediaPipe eye
    distance, and the same with each point's median offset removed (NaN where no frame has both)."""
    unit = np.linalg.norm(five[:, 1] - five[:, 0], axis=-1)[:, None, None]
    offset = (named - five) / unit
    ok = np.isfinite(offset).all((1, 2))
    if not ok.any():
        return float("nan"), float("nan")
    offset = offset[ok]
    debiased = offset - np.median(offset, axis=0)
    return float(np.linalg.norm(offset, axis=-1).mean()), float(np.linalg.norm(debiased, axis=-1).mean())


def face_lag(points: np.ndarray, clip: Clip) -> float:
    """Frames (to a tenth) by which a track ``(T, P, 2)`` trails the face's own motion (the settled clip's region
    flow; a lead reads negative); NaN where the clip has no motion to align."""
    assert clip.velocity is not None  # a settled clip
    return velocity_lag(centroid_velocity(points), clip.velocity)


def steps_measured(points: np.ndarray, still: np.ndarray) -> int:
    """The still steps on which a track ``(T, P, 2)`` found the object at both ends (what its jitter averages)."""
    found = np.isfinite(points).all((1, 2))
    return int((still & found[1:] & found[:-1]).sum())


def five_point_jitter(named: np.ndarray | None, clip: Clip) -> float | None:
    """Jitter of five face points ``(T, 5, 2)`` in the clip's eye distances (the same yardstick for every row);
    None without them."""
    if named is None or named.shape[1:] != (5, 2) or clip.still is None:
        return None
    return jitter_in(named, clip.still, clip.eye_distance)


def measure(points: np.ndarray, named: np.ndarray | None, clip: Clip) -> dict[str, Any]:
    """The figures of one track of a clip: ``points`` ``(T, K, 2)``, ``named`` ``(T, 5, 2)`` or None.

    ``found`` (share of frames), ``jitter`` (K landmarks, over their spread), ``jitter_named`` (five points, in
    eye distances), ``lag_frames`` (behind the face region's flow) and, with MediaPipe, ``vs_mediapipe`` and
    ``vs_mediapipe_debiased``.
    """
    if clip.still is None or clip.velocity is None:
        raise ValueError(f"{clip.name}: measure a settled clip (settled())")
    row: dict[str, Any] = {
        "found": float(np.isfinite(points).all((1, 2)).mean()),
        "jitter": jitter(points, clip.still),
        "jitter_named": five_point_jitter(named, clip),
        "lag_frames": face_lag(named if named is not None else points, clip),
    }
    five = clip.five
    if named is not None and five is not None:
        row["vs_mediapipe"], row["vs_mediapipe_debiased"] = agreement(named, five)
    return row


def frozen(points: np.ndarray) -> np.ndarray:
    """The trivial track: ``points`` ``(T, P, 2)`` with every found frame holding the first found frame's points
    (NaN where the track is lost). Its jitter is 0 and it has no lag to measure; the agreement with MediaPipe is
    the figure that tells it from a track that follows the face."""
    found = np.isfinite(points).all((1, 2))
    out = np.full_like(points, np.nan)
    if found.any():
        out[found] = points[int(np.argmax(found))]
    return out


def mediapipe_row(clip: Clip) -> dict[str, Any] | None:
    """MediaPipe FaceMesh's own figures on a clip (its 478 points, its five, its own smoothing); None without it."""
    if clip.mesh is None:
        return None
    if clip.still is None or clip.velocity is None:
        raise ValueError(f"{clip.name}: measure a settled clip (settled())")
    five = clip.mesh.named(NAMES)
    return {
        "found": float(np.isfinite(five).all((1, 2)).mean()),
        "jitter": jitter(clip.mesh.points, clip.still),
        "jitter_named": jitter_in(five, clip.still, clip.eye_distance),
        "lag_frames": velocity_lag(centroid_velocity(five), clip.velocity),
        "tracking_ms": float(np.mean(clip.mesh.ms)),
    }
