"""Shipped models by name (a path that exists wins), ``lmsdk models``, and named points wherever landmarks are
written: Landmarks, the tracker's results, the CSV, the overlay."""

import csv
import json
import shutil

import numpy as np
import pytest

import lmsdk.zoo as zoo
from lmsdk.cli import run as cli
from lmsdk.errors import ArtifactError, InputError
from lmsdk.runtime import Detector, Tracker, TrackerConfig, VideoSource, draw_track
from lmsdk.runtime.tracking import with_smoothing
from lmsdk.runtime.video_tracking import csv_header, track_video

NAMES = ("left_eye", "right_eye", "nose", "mouth_left", "mouth_right")


@pytest.fixture(scope="module")
def named_artifact(tmp_path_factory, tiny_run):
    """The tiny run exported with the synthetic faces' five annotated points folded in, and a licence."""
    from lmsdk.export import export_run

    out = tmp_path_factory.mktemp("artifacts") / "named"
    export_run(tiny_run, out, labels="synthetic", license="for tests")
    return out


@pytest.fixture()
def fake_zoo(tmp_path, monkeypatch, named_artifact):
    """A zoo holding the named artifact as ``demo``."""
    folder = tmp_path / "zoo"
    shutil.copytree(named_artifact, folder / "demo")
    monkeypatch.setattr(zoo, "ZOO_DIR", folder)
    return folder


def test_a_name_resolves_to_the_shipped_model_and_an_existing_path_wins(fake_zoo, tmp_path, monkeypatch, artifact):
    assert zoo.shipped_names() == ["demo"]
    assert zoo.resolve("demo") == fake_zoo / "demo"
    assert Detector("demo").named_points == list(NAMES)
    monkeypatch.chdir(tmp_path)
    shutil.copytree(artifact, tmp_path / "demo")  # a folder of that name here: the path wins
    assert zoo.resolve("demo").resolve() == tmp_path / "demo" and Detector("demo").named_points == []
    with pytest.raises(
        ArtifactError, match=r"^nope: no such artifact folder, and not the name of a shipped model \(demo"
    ):
        Detector("nope")


def test_lmsdk_models_lists_each_shipped_model(fake_zoo, capsys):
    (model,) = zoo.shipped_models()
    assert (model.name, model.num_landmarks, model.named_points, model.license) == ("demo", 8, NAMES, "for tests")
    assert model.variants == ("detector fp32",)
    files = [p for p in (fake_zoo / "demo").rglob("*") if p.is_file()]
    assert model.size_bytes == sum(p.stat().st_size for p in files)
    assert cli(["models"]) == 0
    out = capsys.readouterr().out
    for text in ("demo", "left_eye", "detector fp32", "for tests", f"{model.size_bytes / 1e6:.1f} MB"):
        assert text in out
    assert cli(["models", "--json"]) == 0
    (listed,) = json.loads(capsys.readouterr().out)
    assert listed["name"] == "demo" and listed["named_points"] == list(NAMES)
    assert listed["path"] == str(fake_zoo / "demo") and listed["size_bytes"] == model.size_bytes


def test_named_points_come_with_their_names(named_artifact):
    from lmsdk.data import SyntheticFaces

    face = np.ascontiguousarray(SyntheticFaces(96, 1, seed=5).image(0)[:, :, ::-1])
    found = Detector(named_artifact)(face)
    assert found.names == NAMES and found.named.shape == (5, 2)
    np.testing.assert_array_equal(found.point("nose"), found.named[2])
    assert list(found.to_dict()["named"]) == list(NAMES)
    assert found.to_dict()["named"]["mouth_right"] == found.named[4].tolist()
    with pytest.raises(InputError, match="no named point 'chin' \\(named points: left_eye, right_eye"):
        found.point("chin")


def test_the_csv_and_the_tracker_carry_named_points(named_artifact, tmp_path):
    from lmsdk.data.clips import ClipSpec, write_clip

    clip = tmp_path / "clip.avi"
    write_clip(clip, ClipSpec(width=160, height=120, frames=12, motion="drift", seed=2))
    detector = Detector(named_artifact)
    raw = Tracker(detector, with_smoothing(TrackerConfig(), False))
    results = []
    with VideoSource(clip) as video:
        track_video(raw, video, csv_path=tmp_path / "points.csv", on_frame=results.append)
    rows = list(csv.reader((tmp_path / "points.csv").open()))
    header = csv_header(8, NAMES)
    assert rows[0] == header and header[-10:-8] == ["left_eye_x", "left_eye_y"]
    found = [r for r in results if r.found]
    assert found and all(r.names == NAMES and r.named.shape == (5, 2) for r in found)
    last = found[-1]
    row = rows[1 + last.index]
    np.testing.assert_allclose([float(v) for v in row[-10:]], last.named.reshape(-1), atol=1e-3)
    # without smoothing, the named points are exactly the detector's on the tracked crop
    with VideoSource(clip) as video:
        frame = [f.image for f in video][last.index]
    np.testing.assert_allclose(last.named, detector(frame, last.box).named, atol=1e-3)


def test_the_overlay_marks_named_points(named_artifact):
    from lmsdk.data import SyntheticFaces

    frame = np.ascontiguousarray(SyntheticFaces(200, 1, seed=6).image(0)[:, :, ::-1])
    tracker = Tracker(Detector(named_artifact), with_smoothing(TrackerConfig(), False))
    result = tracker.update(frame, 0.0)
    assert result.found
    drawn = draw_track(frame, result)
    bare = draw_track(frame, type(result)(**{**result.__dict__, "named": None, "names": ()}))
    differs = np.abs(drawn.astype(int) - bare).sum(-1) > 0
    for x, y in result.named.round().astype(int):
        assert differs[y - 1 : y + 2, x - 1 : x + 2].any()  # a disc at each named point
