"""Shape editing through the decoder: moving a landmark moves the image near it, and little else."""

import numpy as np
import pytest

from lmsdk.data import SyntheticFaces
from lmsdk.runtime import ShapeEditor


def _shift(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Sub-pixel translation (dx, dy) that maps patch a onto patch b (phase correlation)."""
    import cv2

    (dx, dy), _ = cv2.phaseCorrelate(a.astype(np.float64), b.astype(np.float64))
    return np.array([dx, dy])


@pytest.fixture(scope="module")
def editor(learned_artifact):
    return ShapeEditor(learned_artifact)


def _edit_effects(editor, sign: float):
    """Median content shift (dx, |dy|) near a moved landmark, and mean change near it and far from it."""
    faces = SyntheticFaces(96, 8, seed=21)
    shifts, near, far = [], [], []
    for i in range(len(faces)):
        image = np.ascontiguousarray(faces.image(i)[:, :, ::-1])
        code = editor.encode(image)
        k = int(np.argmin(np.linalg.norm(code.normalized - 0.5, axis=1)))  # a landmark near the middle
        result = editor.edit(image, {k: (sign * 0.08 * code.box.width, 0.0)})  # 8 % of the crop sideways
        s = editor.size
        cx, cy = (code.normalized[k] * s).astype(int)
        r = s // 6
        window = (slice(max(cy - r, 0), cy + r), slice(max(cx - r, 0), cx + r))
        shifts.append(_shift(result.reconstruction.mean(-1)[window], result.image.mean(-1)[window]))
        diff = np.abs(result.image.astype(float) - result.reconstruction.astype(float)).mean(-1)
        yy, xx = np.mgrid[:s, :s]
        dist = np.hypot(xx - cx, yy - cy)
        near.append(diff[dist < s * 0.15].mean())
        far.append(diff[dist > s * 0.45].mean())
    shifts = np.array(shifts)
    return np.median(shifts[:, 0]), np.median(np.abs(shifts[:, 1])), np.mean(near), np.mean(far)


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_moving_a_landmark_moves_the_content_near_it(editor, sign):
    # Measured on the 250-step tiny model (its decoder is young): a 3.8 px move shifts the content under the
    # landmark by +0.18 px (right) and -0.21 px (left), vertically by under 0.15 px, and changes pixels far
    # away 2.4x less than near it. A trained model moves the content much further (docs/results.md).
    dx, dy, near, far = _edit_effects(editor, sign)
    assert sign * dx > 0.08, dx
    assert dy < abs(dx) * 1.5, (dx, dy)
    assert far < 0.6 * near, (near, far)


def test_no_move_reproduces_the_reconstruction(editor):
    image = np.ascontiguousarray(SyntheticFaces(64, 1, seed=2).image(0)[:, :, ::-1])
    result = editor.edit(image, {})
    assert np.array_equal(result.image, result.reconstruction)
    with pytest.raises(ValueError, match="does not exist"):
        editor.edit(image, {99: (1.0, 0.0)})


def test_morph_goes_from_a_to_b(editor):
    faces = SyntheticFaces(64, 2, seed=5)
    a, b = (np.ascontiguousarray(faces.image(i)[:, :, ::-1]) for i in range(2))
    frames = editor.morph(a, b, steps=5, appearance="blend")
    assert len(frames) == 5 and frames[0].shape == (editor.size, editor.size, 3)
    ra = editor.decoder(editor.encode(a).normalized, editor.encode(a).descriptors)
    rb = editor.decoder(editor.encode(b).normalized, editor.encode(b).descriptors)
    assert np.abs(frames[0].astype(int) - ra).max() <= 1 and np.abs(frames[-1].astype(int) - rb).max() <= 1


def test_paste_puts_the_crop_back_in_its_box(editor):
    from lmsdk.runtime import Box

    frame = np.zeros((100, 120, 3), np.uint8)
    crop = np.full((editor.size, editor.size, 3), 200, np.uint8)
    out = editor.paste(frame, crop, Box(30, 20, 60, 60))
    assert out[50, 60].tolist() == [200, 200, 200] and out[5, 5].tolist() == [0, 0, 0]
