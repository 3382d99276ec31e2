"""The runtime commands and the examples, run as a user would (subprocesses, no display)."""

import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
HEADLESS = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}


def _run(*args: str, timeout: int = 600) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, timeout=timeout, env=HEADLESS, cwd=ROOT
    )


def test_demo_video_track_with_csv_and_overlay(learned_artifact, tmp_path):
    clip = tmp_path / "clip.avi"
    made = _run("-m", "lmsdk", "demo-video", str(clip), "--frames", "24", "--width", "160", "--height", "120")
    assert made.returncode == 0, made.stderr
    proc = _run(
        "-m",
        "lmsdk",
        "track",
        str(learned_artifact),
        str(clip),
        "--out",
        str(tmp_path / "o.mp4"),
        "--csv",
        str(tmp_path / "p.csv"),
        "--show",
    )
    assert proc.returncode == 0, proc.stderr
    assert "24 frames" in proc.stdout and "fps" in proc.stdout
    assert "per frame: tracking" in proc.stdout and "decoding" in proc.stdout and "drawing" in proc.stdout
    assert "no display" in proc.stderr  # --show without a display warns instead of aborting
    assert len((tmp_path / "p.csv").read_text().splitlines()) == 25


def test_track_refuses_a_missing_video_and_a_camera_that_is_not_there(learned_artifact, tmp_path):
    missing = _run("-m", "lmsdk", "track", str(learned_artifact), str(tmp_path / "none.mp4"))
    assert missing.returncode == 2 and "video file not found" in missing.stderr
    camera = _run("-m", "lmsdk", "track", str(learned_artifact), "7")
    assert camera.returncode == 2 and "cannot open camera" in camera.stderr


def test_edit_and_morph_write_their_outputs(learned_artifact, tmp_path):
    from lmsdk.data import SyntheticFaces

    for i, face in enumerate(SyntheticFaces(100, 2, seed=9).images(range(2))):
        cv2.imwrite(str(tmp_path / f"{i}.png"), face[:, :, ::-1])
    proc = _run(
        "-m",
        "lmsdk",
        "edit",
        str(learned_artifact),
        str(tmp_path / "0.png"),
        "--move",
        "2:4,0",
        "--move",
        "3:0,-3",
        "--out",
        str(tmp_path / "e.png"),
        "--compare",
        str(tmp_path / "c.png"),
    )
    assert proc.returncode == 0, proc.stderr
    assert cv2.imread(str(tmp_path / "e.png")).shape == (48, 48, 3)
    assert cv2.imread(str(tmp_path / "c.png")).shape[1] > 3 * 48
    bad = _run(
        "-m",
        "lmsdk",
        "edit",
        str(learned_artifact),
        str(tmp_path / "0.png"),
        "--move",
        "2-4",
        "--out",
        str(tmp_path / "x.png"),
    )
    assert bad.returncode == 2 and "K:DX,DY" in bad.stderr
    morph = _run(
        "-m",
        "lmsdk",
        "morph",
        str(learned_artifact),
        str(tmp_path / "0.png"),
        str(tmp_path / "1.png"),
        "--out",
        str(tmp_path / "m.avi"),
        "--frames",
        "6",
    )
    assert morph.returncode == 0, morph.stderr
    cap = cv2.VideoCapture(str(tmp_path / "m.avi"))
    assert int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) == 6


def test_webcam_demo_falls_back_without_camera_or_display(learned_artifact, tmp_path):
    out = tmp_path / "demo.mp4"
    proc = _run(
        "examples/webcam_demo.py", str(learned_artifact), "--source", "9", "--out", str(out), "--max-frames", "20"
    )
    assert proc.returncode == 0, proc.stderr
    assert "falling back" in proc.stderr and "no display" in proc.stderr
    cap = cv2.VideoCapture(str(out))
    ok, frame = cap.read()
    assert ok and frame.shape[0] > 0 and int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) == 20


def test_edit_shape_example_runs_as_written(learned_artifact, tmp_path):
    proc = _run("examples/edit_shape.py", str(learned_artifact), "--out", str(tmp_path / "edits"))
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "edits" / "edit.png").is_file() and (tmp_path / "edits" / "morph.mp4").is_file()
    assert np.asarray(cv2.imread(str(tmp_path / "edits" / "edit.png"))).mean() > 0


def test_track_edits_every_frame_when_asked(learned_artifact, tmp_path):
    clip = tmp_path / "clip.avi"
    _run("-m", "lmsdk", "demo-video", str(clip), "--frames", "8", "--width", "160", "--height", "120")
    plain = _run("-m", "lmsdk", "track", str(learned_artifact), str(clip), "--out", str(tmp_path / "a.avi"))
    edited = _run(
        "-m", "lmsdk", "track", str(learned_artifact), str(clip), "--out", str(tmp_path / "b.avi"), "--move", "0:0,-4"
    )
    assert plain.returncode == 0 and edited.returncode == 0, edited.stderr

    def frames(path):
        cap = cv2.VideoCapture(str(path))
        out = []
        while True:
            ok, frame = cap.read()
            if not ok:
                return np.array(out, np.float32)
            out.append(frame)

    a, b = frames(tmp_path / "a.avi"), frames(tmp_path / "b.avi")
    assert a.shape == b.shape and np.abs(a - b).mean() > 0.5  # the edited video differs


def test_mnist_recipe_trains_exports_and_writes_a_morph(tmp_path):
    """docs/mnist.md as written (a few steps): mnist-k7 on IDX files, export, examples/mnist_morph.py."""
    from lmsdk.data.mnist import write_idx

    rng = np.random.default_rng(0)
    labels = np.array([2, 9] * 16, np.uint8)
    digits = np.zeros((len(labels), 28, 28), np.uint8)
    for digit, label in zip(digits, labels, strict=True):
        x, y = (int(v) for v in rng.integers(4, 9, 2))
        cv2.putText(digit, str(label), (x, 28 - y), cv2.FONT_HERSHEY_SIMPLEX, 0.8, 255, 2, cv2.LINE_AA)
    images = tmp_path / "t10k-images-idx3-ubyte.gz"
    write_idx(images, digits)
    write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", labels)
    run, artifact, out = tmp_path / "run", tmp_path / "artifact", tmp_path / "morph.mp4"
    cli = ("-m", "lmsdk")
    train = _run(*cli, "train", "--data", str(images), "--preset", "mnist-k7", "--steps", "3", "--batch-size", "4",
                 "--out", str(run), "--quiet")  # fmt: skip
    assert train.returncode == 0, train.stderr
    export = _run(*cli, "export", str(run), "--out", str(artifact))
    assert export.returncode == 0, export.stderr
    morph = _run("examples/mnist_morph.py", str(artifact), str(images), "--from", "2", "--to", "9", "--steps", "6",
                 "--out", str(out))  # fmt: skip
    assert morph.returncode == 0, morph.stderr
    video = cv2.VideoCapture(str(out))
    assert int(video.get(cv2.CAP_PROP_FRAME_COUNT)) >= 6 + 12  # the morph, held 6 frames at each end
    assert int(video.get(cv2.CAP_PROP_FRAME_WIDTH)) == 8 * 28
    assert cv2.imread(str(out.with_suffix(".png"))) is not None
