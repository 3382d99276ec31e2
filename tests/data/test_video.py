"""Video as training data: frames, pairs and the Farneback flow between them."""

import numpy as np
import pytest

from lmsdk.data import VideoFrames, detect_format
from lmsdk.data.clips import ClipSpec, clip_frames, write_clip
from lmsdk.data.video import compose_flows
from lmsdk.errors import DataError


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    path = tmp_path_factory.mktemp("video") / "drift.avi"
    spec = ClipSpec(width=96, height=96, frames=120, motion="drift", face_size=0.6)
    truth = write_clip(str(path), spec)
    return path, truth


def test_pairs_and_flow_follow_the_known_motion(clip):
    path, truth = clip
    assert detect_format(path) == "video"
    data = VideoFrames(path, 96, gap=10, step=5)
    assert len(data) == 120 and data.pair_count == 110
    a, b, forward, backward = data.pair(5)
    assert a.shape == b.shape == (96, 96, 3) and forward.shape == (96, 96, 2)
    # Over 10 frames the face moves 8 to 11 px; the flow at each annotated point must carry it to where
    # the point is 10 frames later, and the backward flow must bring it back.
    for t in (5, 20, 40):
        _, _, forward, backward = data.pair(t)
        for start, end in zip(truth[t], truth[t + 10], strict=True):
            x, y = np.round(start).astype(int)
            assert np.linalg.norm(start + forward[y, x] * 96 - end) < 1.0, (t, start, end)
            x, y = np.round(end).astype(int)
            assert np.linalg.norm(end + backward[y, x] * 96 - start) < 1.0, (t, start, end)


def test_flows_compose():
    first = np.zeros((8, 8, 2), np.float32)
    first[..., 0] = 1.0
    second = np.zeros((8, 8, 2), np.float32)
    second[..., 1] = 2.0
    assert np.allclose(compose_flows(first, second), [1.0, 2.0])


def test_clip_truth_is_nan_when_the_face_is_out():
    frames = list(clip_frames(ClipSpec(width=120, height=90, frames=30, motion="exit")))
    out = [np.isnan(kp).all() for _, kp in frames]
    assert any(out) and not out[0] and not out[-1]


def test_a_shaken_still_face_jumps_about_its_place_by_the_shake():
    spec = ClipSpec(width=120, height=90, frames=40, motion="still", shake=2.0)
    truth = np.array([kp for _, kp in clip_frames(spec)])
    still = np.array([kp for _, kp in clip_frames(ClipSpec(width=120, height=90, frames=40, motion="still"))])
    offsets = (truth - still).mean(1)  # (T, 2): the whole face moves, every frame by its own offset
    assert np.allclose(truth - still, offsets[:, None], atol=1e-3)
    assert np.std(offsets, axis=0) == pytest.approx([2.0, 2.0], rel=0.3)
    first = next(clip_frames(spec))[0]
    assert np.array_equal(first, next(clip_frames(spec))[0])  # the shake is the seed's: the same clip every time


def test_too_short_clips_are_refused(tmp_path):
    path = tmp_path / "short.avi"
    write_clip(str(path), ClipSpec(width=64, height=64, frames=6))
    with pytest.raises(DataError, match="shorter than the pair gap"):
        VideoFrames(path, 32)


def test_video_training_uses_flow_terms(tmp_path, clip, tiny_config):
    import json

    from lmsdk.data import DataConfig
    from lmsdk.trainer import train

    config = tiny_config.replace(
        data=DataConfig(source=str(clip[0])),
        steps=3,
        sample_every=0,
        checkpoint_every=0,
        eval_every=0,
        bn_batches=1,
        log_every=1,
        batch_size=4,
    )
    train(config, tmp_path / "run")
    rows = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    step = next(r for r in rows if "loss" in r)
    assert step["loss/flow_equivariance"] > 0 and step["loss/flow_preference"] < 0
