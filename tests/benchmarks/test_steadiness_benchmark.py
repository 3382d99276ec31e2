"""benchmarks/steadiness.py end to end on synthetic clips and the 250-step synthetic model, without MediaPipe: the
table, the JSON, the picture and the choice of smoothing."""

import dataclasses
import json
from types import SimpleNamespace

import cv2
import numpy as np
import pytest

from benchmarks.steadiness import compare, main
from benchmarks.tracker_pass import Track
from lmsdk.data.clip_list import Clip, write_clip_list
from lmsdk.data.clips import ClipSpec, write_clip
from lmsdk.runtime.filters import SmoothingConfig


@pytest.fixture(scope="module")
def videos(tmp_path_factory):
    folder = tmp_path_factory.mktemp("videos")
    write_clip(str(folder / "shaky.avi"), ClipSpec(width=200, height=150, frames=50, motion="still", shake=1.0))
    write_clip(str(folder / "drift.avi"), ClipSpec(width=200, height=150, frames=50, motion="drift"))
    # a shaken still face: still steps to measure jitter on, and shakes to measure lag against
    write_clip(str(folder / "train.avi"), ClipSpec(width=200, height=150, frames=30, motion="still", shake=1.0, seed=3))
    write_clip_list(folder / "train.txt", [Clip(folder / "train.avi")])
    return folder


def _args(artifact, videos, tmp_path, *more):
    common = ["--videos", str(videos), "--train-clips", str(videos / "train.txt"), "--no-mtfl"]
    return [f"one={artifact}", f"two={artifact}:fp32:detector", *common, "--out", str(tmp_path / "s.json"), *more]


def test_held_out_clips_are_measured_raw_and_smoothed(learned_artifact, videos, tmp_path, capsys):
    picture = tmp_path / "stretch.png"
    args = _args(learned_artifact, videos, tmp_path, "--held-out", "shaky.avi", "drift.avi", "--picture", str(picture))
    assert main(args) == 0
    report = json.loads((tmp_path / "s.json").read_text())
    assert list(report["clips"]) == ["shaky.avi", "drift.avi"]
    assert report["smoothing"]["min_cutoff"] == SmoothingConfig().min_cutoff  # the tracker's defaults
    shaky = report["clips"]["shaky.avi"]
    assert shaky["region_from"] == "first model" and 0 < shaky["still_steps"] < 49
    assert set(shaky["rows"]) == {"one", "two", "frozen"}  # no MediaPipe here
    # The trivial track (the first model's points frozen at the first frame) wins on jitter by construction; its
    # lag cannot be measured at all (it never moves), which is what tells it from a steady tracker
    for clip in ("shaky.avi", "drift.avi"):
        floor = report["clips"][clip]["rows"]["frozen"]["floor"]
        assert floor["found"] == 1.0 and floor["jitter"] == 0.0 and floor["lag_frames"] is None
    for row in shaky["rows"]["one"].values():
        assert row["found"] == 1.0 and row["jitter"] > 0 and row["jitter_named"] is None and "vs_mediapipe" not in row
    assert report["means"]["one"]["smoothed"]["jitter"] <= report["means"]["one"]["raw"]["jitter"]
    drift = report["clips"]["drift.avi"]["rows"]["one"]
    assert 0 <= drift["raw"]["lag_frames"] <= drift["smoothed"]["lag_frames"] <= 3  # smoothing trails; raw does not
    # the first model against the second (the default baseline) on the same still steps: here one graph twice
    paired = report["paired"]
    assert paired["baseline"] == "two" and list(paired["models"]) == ["one"] and paired["blocks"] == [10, 30]
    for kind in ("raw", "smoothed"):
        figure = paired["models"]["one"][kind]["jitter"]
        for low, high in figure["intervals"].values():
            assert low <= figure["ratio"] <= high and figure["ratio"] == pytest.approx(1, abs=0.05)
        assert "jitter_named" not in paired["models"]["one"][kind]  # the model has no named points
    out = capsys.readouterr().out
    assert "mean of clips" in out and "| one | smoothed |" in out and "| two | raw |" in out
    assert "one / two jitter, smoothed, same still steps: landmarks" in out and "blocks of 30" in out
    assert cv2.imread(str(picture)).shape[1] == 2 * 320  # two models side by side


def test_an_unknown_baseline_is_refused(learned_artifact, videos, tmp_path, capsys):
    assert main(_args(learned_artifact, videos, tmp_path, "--baseline", "three")) == 2
    assert "--baseline three: not one of the models (one, two)" in capsys.readouterr().err


def _track(rng, frames, scale):
    """A jittering face track: 10 landmarks and 5 named points around fixed places, raw and smoothed (half the
    raw jitter), each step's shake ``scale`` pixels."""
    shape = rng.uniform(0, 60, (10, 2))
    five = rng.uniform(0, 60, (5, 2))
    raw = shape + scale * rng.normal(size=(frames, 10, 2))
    named = five + scale * rng.normal(size=(frames, 5, 2))
    smooth = shape + 0.5 * (raw - shape)
    return Track(np.zeros(frames), np.zeros(frames), raw, smooth, [None] * frames, np.arange(frames) / 25.0, named)


def test_compare_pairs_each_model_with_the_baseline_on_each_pass():
    rng = np.random.default_rng(0)
    frames = 200
    clips = [SimpleNamespace(name=n, still=rng.random(frames - 1) < 0.6, eye_distance=20.0) for n in ("a", "b")]
    tracks = {c.name: {} for c in clips}
    for c in clips:
        base = _track(rng, frames, 1.0)
        steadier = dataclasses.replace(base, raw=base.raw.mean(0) + 0.8 * (base.raw - base.raw.mean(0)))
        tracks[c.name] = {
            "image": {"raw": base, "smoothed": base},
            "video": {"raw": steadier, "smoothed": base},  # steadier raw only; smoothed the same track
        }
    report = compare(tracks, clips, "image", ["video"], face_points={"image"})
    video = report["models"]["video"]
    assert video["raw"]["jitter"]["ratio"] == pytest.approx(0.8, abs=0.01)
    assert all(high < 1 for _, high in video["raw"]["jitter"]["intervals"].values())
    assert video["smoothed"]["jitter"]["ratio"] == 1.0  # the smoothed pass's own points, not the raw ones
    assert "jitter_named" not in video["raw"]  # only one of the two names face points
    named = compare(tracks, clips, "image", ["video"], face_points={"image", "video"})["models"]["video"]
    assert named["raw"]["jitter_named"]["ratio"] == 1.0  # the named points were left as they were


def test_a_model_named_like_a_row_of_the_benchmarks_own_is_refused(learned_artifact, videos, tmp_path, capsys):
    args = [f"frozen={learned_artifact}", "--videos", str(videos), "--no-mtfl", "--out", str(tmp_path / "s.json")]
    assert main(args) == 2
    assert "frozen: a row of the benchmark's own" in capsys.readouterr().err


def test_a_clip_the_video_models_trained_on_is_refused(learned_artifact, videos, tmp_path, capsys):
    assert main(_args(learned_artifact, videos, tmp_path, "--held-out", "train.avi")) == 2
    assert "train.avi: in" in capsys.readouterr().err


def test_the_smoothing_selection_tries_the_grid_on_the_train_clips(learned_artifact, videos, tmp_path, capsys):
    assert main(_args(learned_artifact, videos, tmp_path, "--select-smoothing", "--max-frames", "24")) == 0
    selection = json.loads((tmp_path / "s.json").read_text())["selection"]
    assert len(selection["settings"]) == 25 and {t["clip"] for t in selection["trials"]} == {"train.avi"}
    assert all(row["trials"] == 2 for row in selection["settings"])  # both models measured with every setting
    pick = selection["pick"]
    assert pick is not None and pick["worst_ratio"] <= 1.0 and pick["worst_extra_lag"] <= 1.0
    assert "pick:" in capsys.readouterr().out
