"""Shape editing through the decoder: an edit decodes the moved landmarks (on the suite's 12-step model), and changes
the image near them most (on one trained for 250 steps, whose decoder has learned to draw)."""

import numpy as np
import pytest

from lmsdk.data import SyntheticFaces
from lmsdk.runtime import ShapeEditor


@pytest.fixture(scope="module")
def editor(artifact):
    return ShapeEditor(artifact)


@pytest.fixture(scope="module")
def learned_editor(learned_artifact):
    return ShapeEditor(learned_artifact)


def _faces(n: int = 8, seed: int = 21):
    faces = SyntheticFaces(96, n, seed=seed)
    return [np.ascontiguousarray(faces.image(i)[:, :, ::-1]) for i in range(n)]


def _middle_landmark(code) -> int:
    return int(np.argmin(np.linalg.norm(code.normalized - 0.5, axis=1)))


def test_an_edit_decodes_exactly_the_moved_landmarks(editor):
    image = _faces(1, seed=3)[0]
    code = editor.encode(image)
    k = _middle_landmark(code)
    moves = {k: (4.0, -2.5), (k + 1) % len(code.normalized): (-3.0, 0.0)}
    result = editor.edit(image, moves)
    expected = code.normalized.copy()
    for index, (dx, dy) in moves.items():
        expected[index] += (dx / code.box.width, dy / code.box.height)
    np.testing.assert_allclose(result.landmarks, expected, atol=1e-6)
    redecoded = editor.decoder(expected[None], None if code.descriptors is None else code.descriptors[None])[0]
    assert np.abs(redecoded.astype(int) - result.image).max() <= 1


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_moving_a_landmark_changes_the_image_near_it_more_than_far_from_it(learned_editor, sign):
    # The decoder draws each landmark as local Gaussian maps, so even a young decoder answers a move locally.
    # Where the moved content ends up (its shift, the re-detected landmark) is sub-pixel and unsteady on a model
    # this young, so it is not asserted here. What the bounds stand on: docs/testing.md.
    near, far = [], []
    for image in _faces():
        code = learned_editor.encode(image)
        k = _middle_landmark(code)
        result = learned_editor.edit(image, {k: (sign * 0.08 * code.box.width, 0.0)})
        s = learned_editor.size
        cx, cy = code.normalized[k] * s
        diff = np.abs(result.image.astype(float) - result.reconstruction.astype(float)).mean(-1)
        yy, xx = np.mgrid[:s, :s] + 0.5
        dist = np.hypot(xx - cx, yy - cy)
        near.append(diff[dist < s * 0.15].mean())
        far.append(diff[dist > s * 0.45].mean())
    assert np.mean(near) > 0.1, near  # the edit changes the image at all
    assert np.mean(far) < 0.8 * np.mean(near), (near, far)


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
