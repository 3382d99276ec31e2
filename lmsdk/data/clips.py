"""Synthetic videos of a moving cartoon face with known keypoints: for tracking tests, demos and benchmarks."""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from lmsdk.data.synthetic import FaceParams, render_face, sample_face, with_pose
from lmsdk.errors import ConfigError
from lmsdk.geometry import normalized_to_pixels, rgb_to_bgr
from lmsdk.video import VideoSink

MOTIONS = ("still", "drift", "exit")


@dataclass(frozen=True)
class ClipSpec:
    """A clip: ``frames`` frames of ``width x height`` at ``fps``; the face's path is ``motion``.

    ``still``: the face does not move. ``drift``: it wanders smoothly over the frame (and turns a little).
    ``exit``: it leaves the frame to the left, stays out for a while and comes back. ``shake`` adds a random offset
    to the face's position in every frame (a hand-held camera; a still face then jitters about a known position).
    """

    width: int = 320
    height: int = 240
    frames: int = 90
    fps: float = 30.0
    motion: str = "drift"
    face_size: float = 0.55  # face height / frame height
    seed: int = 0
    shake: float = 0.0  # pixels: the standard deviation of each frame's random offset of the face (x and y)

    def __post_init__(self) -> None:
        for name in ("width", "height", "frames"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(f"clip {name} {value!r}: a whole number, 1 or more")
        if not (math.isfinite(self.fps) and self.fps > 0):
            raise ConfigError(f"clip fps {self.fps!r}: a positive number")
        if not (math.isfinite(self.face_size) and 0 < self.face_size <= 2):
            raise ConfigError(f"clip face_size {self.face_size!r}: the face height over the frame height, in (0, 2]")
        if self.motion not in MOTIONS:
            raise ConfigError(f"motion {self.motion!r}: one of {', '.join(MOTIONS)}")
        if self.seed < 0:
            raise ConfigError(f"clip seed {self.seed}: a non-negative integer")
        if not (math.isfinite(self.shake) and self.shake >= 0):
            raise ConfigError(f"clip shake {self.shake!r}: a standard deviation in pixels, 0 or more")


def _pose(spec: ClipSpec, t: float) -> tuple[float, float, float]:
    """Face centre (frame-normalised x, y) and angle (deg) at time fraction ``t`` in [0, 1]."""
    if spec.motion == "still":
        return 0.5, 0.5, 0.0
    if spec.motion == "drift":
        return (
            0.5 + 0.22 * math.sin(2 * math.pi * t),
            0.5 + 0.12 * math.sin(4 * math.pi * t),
            8.0 * math.sin(2 * math.pi * t),
        )
    if spec.motion == "exit":  # out at t in [0.3, 0.55], back after
        x = 0.5 - 1.3 * min(t / 0.3, 1.0) if t < 0.55 else -0.8 + 1.3 * min((t - 0.55) / 0.3, 1.0)
        return x, 0.5, 0.0
    raise ConfigError(f"motion {spec.motion!r}: one of {', '.join(MOTIONS)}")


def clip_frames(spec: ClipSpec) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Yield ``(frame, keypoints)``: BGR uint8 ``(H, W, 3)`` and the five keypoints in OpenCV pixels (NaN when
    the face is out of the frame; with the frame's shake)."""
    side = max(spec.width, spec.height)
    face: FaceParams = sample_face(np.random.default_rng([spec.seed, 77]))
    shakes = np.random.default_rng([spec.seed, 78]).normal(0.0, spec.shake, (spec.frames, 2)) / side
    ox, oy = (side - spec.width) / 2, (side - spec.height) / 2
    half_height = spec.face_size * spec.height / side / 2 / 1.0
    for i in range(spec.frames):
        cx, cy, angle = _pose(spec, i / max(spec.frames - 1, 1))
        center = ((ox + cx * spec.width) / side + shakes[i, 0], (oy + cy * spec.height) / side + shakes[i, 1])
        params = with_pose(face, center, angle_deg=face.angle_deg * 0.3 + angle, half_height=half_height)
        canvas = render_face(params, side, supersample=2)
        frame = np.ascontiguousarray(
            rgb_to_bgr(canvas[int(oy) : int(oy) + spec.height, int(ox) : int(ox) + spec.width])
        )
        points = normalized_to_pixels(params.keypoints(), side, side) - np.array([int(ox), int(oy)])
        inside = (points[:, 0] >= 0) & (points[:, 0] < spec.width) & (points[:, 1] >= 0) & (points[:, 1] < spec.height)
        yield frame, np.where(inside.all(), points, np.nan).astype(np.float32)


def write_clip(path: str | os.PathLike[str], spec: ClipSpec) -> np.ndarray:
    """Write the clip as a video file (MJPG ``.avi`` is near lossless; ``.mp4`` is mp4v; an existing file is
    replaced when the clip is complete); returns the keypoints ``(frames, 5, 2)``."""
    points = []
    with VideoSink(path, spec.fps) as sink:
        for frame, kp in clip_frames(spec):
            sink.write(frame)
            points.append(kp)
    return np.stack(points)
