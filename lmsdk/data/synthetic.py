"""The built-in ``synthetic`` dataset: procedural cartoon faces with exactly known keypoints.

Every face is drawn from a seed, so the dataset is the same on every machine and needs no download.
Each one varies in pose (rotation, scale, shift), in shape (head aspect, eye spacing and height, nose
length, mouth width, height, smile and opening) and in appearance (skin, background gradient,
distractor blobs, hair), so a model has to *find* the parts rather than memorise positions.
Five points are annotated, in the MAFL order: left eye, right eye, nose tip, left and right mouth
corner ("left" = image-left). :func:`render_face` also drives the synthetic videos used for tracking.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import cv2
import numpy as np

from lmsdk.data.base import ImageSource
from lmsdk.data.faces import FACE_POINTS

KEYPOINT_NAMES = FACE_POINTS  # image-left first
_SUPERSAMPLE = 4
_SHIFT = 4  # fractional bits for OpenCV drawing


@dataclass(frozen=True)
class FaceParams:
    """One cartoon face. Lengths are relative to the head's half-height unless noted."""

    center: tuple[float, float]  # normalised (x, y) of the head centre in the image
    half_height: float  # head half-height, normalised to the image side
    angle_deg: float  # in-plane rotation, clockwise on screen
    aspect: float  # head half-width / half-height
    eye_dx: float  # half the distance between the eyes
    eye_y: float  # eye height (negative: above the head centre)
    eye_size: float
    gaze: tuple[float, float]  # pupil offset, relative to eye size
    nose_y: float
    mouth_y: float
    mouth_dx: float  # half the mouth width
    smile: float  # mouth-centre drop relative to the corners (negative: frown)
    mouth_open: float
    hair: float  # 0: bald; up to 1: hair reaches down to the eyes
    skin: tuple[int, int, int]  # RGB
    feature_color: tuple[int, int, int]
    hair_color: tuple[int, int, int]
    background: tuple[tuple[int, int, int], tuple[int, int, int]]  # gradient ends
    background_angle: float
    distractors: tuple[tuple[float, float, float, float, float, int, int, int], ...]  # x, y, rx, ry, deg, rgb

    def local_to_image(self, points: np.ndarray) -> np.ndarray:
        """Head-local ``(N, 2)`` points (x in half-widths, y in half-heights) -> normalised image coordinates."""
        theta = math.radians(self.angle_deg)
        rot = np.array([[math.cos(theta), -math.sin(theta)], [math.sin(theta), math.cos(theta)]])
        scaled = np.asarray(points, np.float64) * np.array([self.aspect, 1.0]) * self.half_height
        return scaled @ rot.T + np.asarray(self.center)

    def keypoints(self) -> np.ndarray:
        """The five annotated points, ``(5, 2)`` normalised ``(x, y)`` in the image."""
        local = [
            (-self.eye_dx, self.eye_y),
            (self.eye_dx, self.eye_y),
            (0.0, self.nose_y),
            (-self.mouth_dx, self.mouth_y),
            (self.mouth_dx, self.mouth_y),
        ]
        return self.local_to_image(np.array(local)).astype(np.float32)


def sample_face(rng: np.random.Generator) -> FaceParams:
    """Draw a random face."""

    def color(low: int = 0, high: int = 256) -> tuple[int, int, int]:
        return tuple(int(c) for c in rng.integers(low, high, 3))  # type: ignore[return-value]

    skin = tuple(
        int(c) for c in np.clip(np.array([205, 160, 130]) * rng.uniform(0.45, 1.2) + rng.normal(0, 18, 3), 0, 255)
    )
    n_distract = int(rng.integers(0, 4))
    distractors = tuple(
        (
            float(rng.uniform(0, 1)),
            float(rng.uniform(0, 1)),
            float(rng.uniform(0.04, 0.16)),
            float(rng.uniform(0.04, 0.16)),
            float(rng.uniform(0, 180)),
            *color(),
        )
        for _ in range(n_distract)
    )
    return FaceParams(
        center=(0.5 + float(rng.uniform(-0.06, 0.06)), 0.52 + float(rng.uniform(-0.06, 0.06))),
        half_height=0.36 * float(rng.uniform(0.85, 1.12)),
        angle_deg=float(np.clip(rng.normal(0, 10), -25, 25)),
        aspect=float(rng.uniform(0.78, 0.95)),
        eye_dx=float(rng.uniform(0.32, 0.44)),
        eye_y=float(rng.uniform(-0.26, -0.12)),
        eye_size=float(rng.uniform(0.11, 0.16)),
        gaze=(float(rng.uniform(-0.3, 0.3)), float(rng.uniform(-0.2, 0.2))),
        nose_y=float(rng.uniform(0.08, 0.22)),
        mouth_y=float(rng.uniform(0.42, 0.56)),
        mouth_dx=float(rng.uniform(0.2, 0.34)),
        smile=float(rng.uniform(-0.06, 0.12)),
        mouth_open=float(rng.uniform(0.0, 0.1)),
        hair=float(rng.uniform(0.0, 1.0)),
        skin=skin,  # type: ignore[arg-type]
        feature_color=color(0, 90),
        hair_color=color(0, 160),
        background=(color(), color()),
        background_angle=float(rng.uniform(0, 2 * math.pi)),
        distractors=distractors,
    )


def render_face(params: FaceParams, size: int, supersample: int = _SUPERSAMPLE) -> np.ndarray:
    """Draw a face as ``(size, size, 3)`` uint8 RGB (supersampled, area-averaged)."""
    res = size * supersample
    canvas = _gradient(res, params.background, params.background_angle)
    for x, y, rx, ry, deg, r, g, b in params.distractors:
        cv2.ellipse(canvas, _pt((x, y), res), _axes((rx, ry), res), deg, 0, 360, (r, g, b), -1, cv2.LINE_AA, _SHIFT)

    p = params
    to_img = p.local_to_image
    angle = p.angle_deg
    # Ears, head, hair.
    for side in (-1, 1):
        cv2.ellipse(
            canvas,
            _pt(to_img([(side * 1.0, -0.05)])[0], res),
            _axes((0.22 * p.aspect * p.half_height, 0.3 * p.half_height), res),
            angle,
            0,
            360,
            _shade(p.skin, 0.85),
            -1,
            cv2.LINE_AA,
            _SHIFT,
        )
    center = _pt(p.center, res)
    head_axes = _axes((p.aspect * p.half_height, p.half_height), res)
    cv2.ellipse(canvas, center, head_axes, angle, 0, 360, p.skin, -1, cv2.LINE_AA, _SHIFT)
    if p.hair > 0.15:
        # A cap: the top of the head ellipse down to a chord between y = -1 and the brows.
        chord = -1.0 + p.hair * (1.0 + p.eye_y - p.eye_size * 1.8)
        t = np.linspace(-math.pi, 0, 40)
        arc = np.stack([np.cos(t), np.sin(t)], -1) * 1.04
        cap = arc[arc[:, 1] <= chord]
        if len(cap) >= 3:
            cv2.fillPoly(canvas, [_poly(to_img(cap), res)], p.hair_color, cv2.LINE_AA, _SHIFT)

    eye_px = p.eye_size * p.half_height
    for side in (-1, 1):
        eye = (side * p.eye_dx, p.eye_y)
        cv2.ellipse(
            canvas,
            _pt(to_img([eye])[0], res),
            _axes((eye_px * 1.25, eye_px * 0.85), res),
            angle,
            0,
            360,
            (245, 245, 240),
            -1,
            cv2.LINE_AA,
            _SHIFT,
        )
        pupil = (eye[0] + p.gaze[0] * p.eye_size * 0.5 / p.aspect, eye[1] + p.gaze[1] * p.eye_size * 0.4)
        cv2.circle(
            canvas,
            _pt(to_img([pupil])[0], res),
            int(eye_px * 0.5 * res * (1 << _SHIFT)),
            p.feature_color,
            -1,
            cv2.LINE_AA,
            _SHIFT,
        )
        brow = np.array(
            [
                (side * (p.eye_dx - 0.14), p.eye_y - p.eye_size * 1.6),
                (side * (p.eye_dx + 0.16), p.eye_y - p.eye_size * 1.9),
            ]
        )
        cv2.polylines(
            canvas,
            [_poly(to_img(brow), res)],
            False,
            p.feature_color,
            max(1, int(0.035 * p.half_height * res)),
            cv2.LINE_AA,
            _SHIFT,
        )

    nose = np.array([(0.0, p.nose_y - 0.22), (-0.09, p.nose_y), (0.09, p.nose_y)])
    cv2.fillPoly(canvas, [_poly(to_img(nose), res)], _shade(p.skin, 0.7), cv2.LINE_AA, _SHIFT)

    t = np.linspace(-1, 1, 24)
    upper = np.stack([t * p.mouth_dx, p.mouth_y + p.smile * (1 - t**2) - p.mouth_open * 0.3 * (1 - t**2)], -1)
    lower = np.stack([t * p.mouth_dx, p.mouth_y + p.smile * (1 - t**2) + p.mouth_open * (1 - t**2)], -1)
    lips = np.concatenate([upper, lower[::-1]])
    cv2.fillPoly(canvas, [_poly(to_img(lips), res)], _shade(p.feature_color, 1.0, (120, 20, 30)), cv2.LINE_AA, _SHIFT)
    cv2.polylines(
        canvas,
        [_poly(to_img(upper), res)],
        False,
        p.feature_color,
        max(1, int(0.03 * p.half_height * res)),
        cv2.LINE_AA,
        _SHIFT,
    )
    return cv2.resize(canvas, (size, size), interpolation=cv2.INTER_AREA)


class SyntheticFaces(ImageSource):
    """``count`` procedural faces at ``crop_size`` px; face ``i`` depends only on ``(seed, i)``."""

    keypoint_names = KEYPOINT_NAMES
    normalizer_indices = (0, 1)

    def __init__(self, crop_size: int, count: int = 4000, seed: int = 0) -> None:
        self.crop_size = crop_size
        self.count = count
        self.seed = seed
        self.description = f"synthetic faces (n={count}, seed={seed}, {crop_size}px)"

    def __len__(self) -> int:
        return self.count

    def params(self, index: int) -> FaceParams:
        if not 0 <= index < self.count:
            raise IndexError(index)
        return sample_face(np.random.default_rng([self.seed, index]))

    def image(self, index: int) -> np.ndarray:
        return render_face(self.params(index), self.crop_size)

    def keypoints(self, index: int) -> np.ndarray:
        return self.params(index).keypoints()


def _gradient(res: int, colors: tuple[tuple[int, int, int], tuple[int, int, int]], angle: float) -> np.ndarray:
    t = np.linspace(-0.5, 0.5, res)
    gy, gx = np.meshgrid(t, t, indexing="ij")
    w = np.clip(gx * math.cos(angle) + gy * math.sin(angle) + 0.5, 0, 1)[..., None]
    a, b = (np.array(c, np.float32) for c in colors)
    return np.ascontiguousarray((a * (1 - w) + b * w).astype(np.uint8))


def _pt(point: tuple[float, float] | np.ndarray, res: int) -> tuple[int, int]:
    # Normalised -> OpenCV pixel coordinates of the supersampled canvas, in fixed point.
    return tuple(round((float(c) * res - 0.5) * (1 << _SHIFT)) for c in point)  # type: ignore[return-value]


def _poly(points: np.ndarray, res: int) -> np.ndarray:
    return np.round((np.asarray(points) * res - 0.5) * (1 << _SHIFT)).astype(np.int32)


def _axes(axes: tuple[float, float], res: int) -> tuple[int, int]:
    return tuple(max(1, round(a * res * (1 << _SHIFT))) for a in axes)  # type: ignore[return-value]


def _shade(rgb: tuple[int, int, int], factor: float, tint: tuple[int, int, int] | None = None) -> tuple[int, ...]:
    c = np.array(rgb, np.float32) * factor
    if tint is not None:
        c = 0.5 * c + 0.5 * np.array(tint, np.float32)
    return tuple(int(v) for v in np.clip(c, 0, 255))


def with_pose(
    params: FaceParams, center: tuple[float, float], angle_deg: float | None = None, half_height: float | None = None
) -> FaceParams:
    """A copy of ``params`` moved to ``center`` (and optionally rotated / rescaled): a video frame's pose."""
    changes: dict[str, object] = {"center": center}
    if angle_deg is not None:
        changes["angle_deg"] = angle_deg
    if half_height is not None:
        changes["half_height"] = half_height
    return dataclasses.replace(params, **changes)
