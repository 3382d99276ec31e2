"""Bad input through the command line: every kind ends in exit status 2 and one line ``error: ...`` on stderr
(no traceback), and nothing an input was is overwritten. Run in-process (``lmsdk.cli.run``), which is what
the ``lmsdk`` entry point calls."""

import json
import os
import re
import shutil
from pathlib import Path

import cv2
import pytest

from lmsdk.cli import run
from lmsdk.data import SyntheticFaces, write_labels_csv
from lmsdk.data.clips import ClipSpec, write_clip

ROOT_USER = hasattr(os, "geteuid") and os.geteuid() == 0  # root writes into read-only folders anyway


def cli(capsys, *args: object) -> tuple[int, str, str]:
    code = run([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def refused(capsys, args: list[object], message: str) -> str:
    """Run ``lmsdk *args``; assert exit 2, exactly one ``error:`` line matching ``message``, no traceback."""
    code, _, err = cli(capsys, *args)
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert code == 2, err
    assert len(errors) == 1 and re.search(message, errors[0]), err
    assert "Traceback" not in err
    return errors[0]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """A face image, a short clip, an empty clip and a labels CSV for the commands to read."""
    root = tmp_path_factory.mktemp("inputs")
    faces = SyntheticFaces(64, 12, seed=1)
    for i in range(12):
        cv2.imwrite(str(root / f"{i}.png"), faces.image(i)[:, :, ::-1])
    write_labels_csv(
        root / "labels.csv", [f"{i}.png" for i in range(12)], [faces.keypoints(i) * 64 - 0.5 for i in range(12)]
    )
    write_clip(root / "clip.avi", ClipSpec(width=64, height=48, frames=4))
    empty = cv2.VideoWriter(str(root / "empty.avi"), cv2.VideoWriter_fourcc(*"MJPG"), 10, (64, 48))
    empty.release()
    (root / "folder").mkdir()
    (root / "afile").write_text("not a folder\n")
    (root / "notes.png").write_text("not an image\n")
    (root / "empty.png").write_bytes(b"")
    return root


def _labels(root: Path, rows: list[str], header: str = "image,x0,y0,x1,y1") -> Path:
    path = root / f"labels_{abs(hash(tuple(rows)))}.csv"
    path.write_text(header + "\n" + "\n".join(rows) + "\n")
    return path


# -- track --------------------------------------------------------------------------------------------------
TRACK = [
    ("box-outside", ["--box", "1000,1000,2000,2000"], r"entirely outside the frames of .*clip\.avi \(64 x 48 pixels\)"),
    ("out-is-the-input", ["--out", "{f}/clip.avi"], "is an input"),
    ("out-via-dotdot", ["--out", "{f}/folder/../clip.avi"], "is an input"),
    ("csv-is-the-input", ["--csv", "{f}/clip.avi"], "is an input"),
    ("csv-into-the-artifact", ["--csv", "{a}/manifest.json"], "is an input"),
    ("csv-is-a-folder", ["--csv", "{f}/folder"], "is a folder"),
    ("out-is-a-folder", ["--out", "{f}/folder"], "is a folder"),
    ("out-unknown-suffix", ["--out", "{t}/o.mkv"], "suffix '.mkv'"),
    ("out-no-suffix", ["--out", "{t}/overlay"], "no suffix"),
    ("out-equals-csv", ["--out", "{t}/o.avi", "--csv", "{t}/o.avi"], "same file as --out"),
    ("out-under-a-file", ["--out", "{f}/afile/o.avi"], "is a file, not a folder"),
    ("min-confidence-5", ["--min-confidence", "5"], "min_confidence 5"),
    ("min-confidence-nan", ["--min-confidence", "nan"], "min_confidence nan"),
    ("min-confidence-negative", ["--min-confidence", "-0.1"], "min_confidence"),
    ("redetect-every-negative", ["--redetect-every", "-1"], "redetect_every -1"),
    ("redetect-every-not-a-number", ["--redetect-every", "often"], "--redetect-every.*integer"),
    ("box-not-four-numbers", ["--box", "1,2,3"], "x0,y0,x1,y1"),
    ("box-inverted", ["--box", "40,10,20,30"], "x1 must exceed x0"),
    ("box-nan", ["--box", "nan,0,10,10"], "finite"),
    ("move-missing-landmark", ["--move", "99:0,0"], "landmark 99 does not exist"),
    ("move-nan", ["--move", "0:nan,0"], "must be finite"),
    ("move-twice", ["--move", "1:1,1", "--move", "1:2,2"], "moved twice"),
    ("backend-tensorrt-on-cpu", ["--backend", "tensorrt"], "--device cuda"),
    ("backend-unknown", ["--backend", "openvino"], "unknown backend"),
    ("device-unknown", ["--device", "tpu"], "unknown device"),
]


@pytest.mark.parametrize(("extra", "message"), [c[1:] for c in TRACK], ids=[c[0] for c in TRACK])
def test_track_refuses(capsys, artifact, files, tmp_path, extra, message):
    args = [a.format(f=files, a=artifact, t=tmp_path) for a in extra]
    before = (files / "clip.avi").read_bytes()
    refused(capsys, ["track", artifact, files / "clip.avi", *args], message)
    assert (files / "clip.avi").read_bytes() == before  # the input is untouched


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("{f}/missing.mp4", "video file not found"),
        ("{f}/folder", "is a folder"),
        ("{f}/notes.png", "cannot open video|no frame"),
        ("7", "cannot open camera"),
        ("99999999999999999999", r"camera 99999999999999999999: camera indices are 0 to 1023"),
    ],
    ids=["missing-video", "folder-as-video", "text-file-as-video", "absent-camera", "camera-index-overflowing"],
)
def test_track_refuses_sources(capsys, artifact, files, source, message):
    refused(capsys, ["track", artifact, source.format(f=files)], message)


def test_track_of_a_zero_frame_video_says_so_and_writes_nothing(capsys, artifact, files, tmp_path):
    refused(capsys, ["track", artifact, files / "empty.avi", "--out", tmp_path / "o.avi"], "no frame|cannot open")
    assert not any(tmp_path.iterdir())


def test_track_of_a_missing_artifact(capsys, files, tmp_path):
    refused(
        capsys,
        ["track", tmp_path / "nothing", files / "clip.avi"],
        "no such artifact folder, and not the name of a shipped model",
    )


# -- edit -----------------------------------------------------------------------------------------------------
EDIT = [
    ("move-99", ["--move", "99:0,0"], "landmark 99 does not exist"),
    ("move-minus-1", ["--move", "-1:0,0"], "landmark -1 does not exist"),
    ("move-nan", ["--move", "0:nan,0"], r"\(nan, 0\.0\) must be finite"),
    ("move-inf", ["--move", "0:0,inf"], "must be finite"),
    ("move-overflowing", ["--move", "0:1e300,1"], r"landmark 0: the shift \(1e\+300, 1\) is beyond 1e\+06 pixels"),
    ("box-outside", ["--move", "0:1,1", "--box", "-50,-50,-10,-10"], r"entirely outside .*0\.png \(64 x 64 pixels\)"),
    ("move-syntax", ["--move", "2-4"], "K:DX,DY"),
    ("move-float-index", ["--move", "1.5:0,0"], "K:DX,DY"),
    ("out-unknown-suffix", ["--move", "0:1,1", "--out", "{t}/e.xyz"], "suffix '.xyz'"),
    ("out-no-suffix", ["--move", "0:1,1", "--out", "{t}/edited"], "no suffix"),
    ("out-is-a-folder", ["--move", "0:1,1", "--out", "{f}/folder"], "is a folder"),
    ("out-is-the-image", ["--move", "0:1,1", "--out", "{f}/0.png"], "is an input"),
    ("out-is-an-artifact-file", ["--move", "0:1,1", "--out", "{a}/detector.onnx"], "is an input|suffix"),
    ("compare-equals-out", ["--move", "0:1,1", "--compare", "{t}/e.png"], "same file as --out"),
    ("compare-is-the-image", ["--move", "0:1,1", "--compare", "{f}/0.png"], "is an input"),
    ("out-under-a-file", ["--move", "0:1,1", "--out", "{f}/afile/e.png"], "is a file, not a folder"),
    ("box-inverted", ["--move", "0:1,1", "--box", "10,10,5,5"], "x1 must exceed x0"),
    ("backend-tensorrt-on-cpu", ["--move", "0:1,1", "--backend", "tensorrt"], "--device cuda"),
]


@pytest.mark.parametrize(("extra", "message"), [c[1:] for c in EDIT], ids=[c[0] for c in EDIT])
def test_edit_refuses(capsys, artifact, files, tmp_path, extra, message):
    args = [a.format(f=files, a=artifact, t=tmp_path) for a in extra]
    if "--out" not in args:
        args += ["--out", str(tmp_path / "e.png")]
    before = (files / "0.png").read_bytes()
    refused(capsys, ["edit", artifact, files / "0.png", *args], message)
    assert (files / "0.png").read_bytes() == before


@pytest.mark.parametrize(
    ("image", "message"),
    [
        ("{f}/missing.png", "image file not found"),
        ("{f}/notes.png", "not a readable image"),
        ("{f}/empty.png", r"empty\.png: empty file"),
    ],
    ids=["missing-image", "text-file-as-image", "empty-image-file"],
)
def test_edit_refuses_images(capsys, artifact, files, tmp_path, image, message):
    refused(capsys, ["edit", artifact, image.format(f=files), "--move", "0:1,1", "--out", tmp_path / "e.png"], message)


@pytest.mark.parametrize("component", ["encoder", "decoder", "detector"])
def test_edit_verifies_every_file_of_the_artifact(capsys, artifact, files, tmp_path, component):
    """The graphs edit runs, and the detector it does not: an artifact is verified whole when it is opened."""
    copy = tmp_path / "artifact"
    shutil.copytree(artifact, copy)
    with (copy / f"{component}.onnx").open("ab") as f:
        f.write(b"\0")
    out = tmp_path / "e.png"
    refused(capsys, ["edit", copy, files / "0.png", "--move", "0:1,1", "--out", out], f"{component}.onnx: sha256")
    assert not out.exists()


@pytest.mark.skipif(ROOT_USER, reason="root writes into read-only folders")
@pytest.mark.parametrize("command", ["edit", "track", "export", "train"])
def test_outputs_in_a_read_only_folder_are_refused(capsys, artifact, tiny_run, files, tmp_path, command):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        args = {
            "edit": ["edit", artifact, files / "0.png", "--move", "0:1,1", "--out", locked / "e.png"],
            "track": ["track", artifact, files / "clip.avi", "--out", locked / "o.avi"],
            "export": ["export", tiny_run, "--out", locked / "art"],
            "train": ["train", "--preset", "tiny", "--steps", "1", "--out", locked / "run", "--quiet"],
        }[command]
        refused(capsys, args, "(?i)permission denied")
    finally:
        locked.chmod(0o700)


def test_a_read_only_folder_is_refused_before_any_work(capsys, artifact, files, tmp_path, monkeypatch):
    import lmsdk.outputs

    access = os.access
    monkeypatch.setattr(lmsdk.outputs.os, "access", lambda p, mode: not mode & os.W_OK and access(p, mode))
    refused(capsys, ["edit", artifact, files / "0.png", "--move", "0:1,1", "--out", tmp_path / "e.png"], "permission")


# -- morph, demo-video ----------------------------------------------------------------------------------------
MORPH = [
    ("frames-0", ["--frames", "0"], "at least 2 frames"),
    ("frames-1", ["--frames", "1"], "at least 2 frames"),
    ("frames-minus-3", ["--frames", "-3"], "at least 2 frames"),
    ("appearance-unknown", ["--appearance", "nosuch"], "appearance 'nosuch'"),
    ("scale-0", ["--scale", "0"], "--scale 0"),
    ("scale-minus-2", ["--scale", "-2"], "--scale -2"),
    ("fps-0", ["--fps", "0"], "frame rate"),
    ("fps-nan", ["--fps", "nan"], "frame rate"),
    ("out-is-image-a", ["--out", "{f}/0.png"], "is an input"),
    ("out-not-a-video", ["--out", "{t}/m.png"], "suffix '.png'"),
]


@pytest.mark.parametrize(("extra", "message"), [c[1:] for c in MORPH], ids=[c[0] for c in MORPH])
def test_morph_refuses(capsys, artifact, files, tmp_path, extra, message):
    args = [a.format(f=files, t=tmp_path) for a in extra]
    if "--out" not in args:
        args += ["--out", str(tmp_path / "m.avi")]
    refused(capsys, ["morph", artifact, files / "0.png", files / "1.png", *args], message)
    assert not (tmp_path / "m.avi").exists()


DEMO = [
    ("frames-0", ["{t}/d.avi", "--frames", "0"], "frames 0"),
    ("width-0", ["{t}/d.avi", "--width", "0"], "width 0"),
    ("height-negative", ["{t}/d.avi", "--height", "-5"], "height -5"),
    ("motion-unknown", ["{t}/d.avi", "--motion", "spin"], "motion 'spin'"),
    ("out-text-suffix", ["{t}/d.txt"], "suffix '.txt'"),
    ("out-is-a-folder", ["{t}"], "is a folder"),
    ("frames-not-a-number", ["{t}/d.avi", "--frames", "many"], "--frames.*integer"),
    ("seed-negative", ["{t}/d.avi", "--seed", "-1"], "seed -1"),
    ("shake-negative", ["{t}/d.avi", "--shake", "-2"], "shake -2.0"),
]


@pytest.mark.parametrize(("args", "message"), [c[1:] for c in DEMO], ids=[c[0] for c in DEMO])
def test_demo_video_refuses(capsys, tmp_path, args, message):
    refused(capsys, ["demo-video", *[a.format(t=tmp_path) for a in args]], message)


# -- eval -----------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def labels(files):
    """Good and bad labels files, by name."""
    binary = files / "binary.csv"
    binary.write_bytes(bytes(range(256)) * 8)
    return {
        "good": files / "labels.csv",
        "copy": Path(shutil.copy(files / "labels.csv", files / "copy.csv")),
        "binary": binary,
        "nan": _labels(files, [f"{i}.png,,,," for i in range(4)]),
        "inf": _labels(files, ["0.png,1,2,inf,4"]),
        "short": _labels(files, ["0.png,1,2,3"]),
        "long": _labels(files, ["0.png,1,2,3,4,5,6"]),
        "gone": _labels(files, ["gone.png,1,2,3,4"]),
        "word": _labels(files, ["0.png,1,two,3,4"]),
        "none": files / "none.csv",
        "afile": files / "afile",
    }


FIT = ["--fit", "{good}", "--test", "{good}"]
EVAL = [
    ("fit-count-minus-3", [*FIT, "--fit-count", "-3"], "--fit-count -3"),
    ("fit-count-0", [*FIT, "--fit-count", "0"], "--fit-count 0"),
    ("fit-count-all-of-one-set", [*FIT, "--fit-count", "12"], "cannot fit on 12 of 12"),
    ("fit-count-too-many", ["--fit", "{good}", "--test", "{copy}", "--fit-count", "99"], "has only 12 images"),
    ("labels-inf", ["--fit", "{inf}", "--test", "{good}"], r":2: .*finite"),
    ("labels-short-row", ["--fit", "{short}", "--test", "{good}"], ":2: expected 5 fields"),
    ("labels-long-row", ["--fit", "{long}", "--test", "{good}"], ":2: expected 5 fields"),
    ("labels-all-nan", ["--fit", "{nan}", "--test", "{nan}"], "no labelled image has all its points"),
    ("labels-binary", ["--fit", "{binary}", "--test", "{good}", "--format", "labels"], "not a text"),
    ("labels-binary-detected", ["--fit", "{binary}", "--test", "{good}"], "binary.csv"),
    ("labels-missing-image", ["--fit", "{gone}", "--test", "{good}"], "gone.png"),
    ("labels-word-for-number", ["--fit", "{word}", "--test", "{good}"], ":2:"),
    ("protocol-unknown", [*FIT, "--protocol", "nme"], "unknown protocol"),
    ("regressor-unknown", [*FIT, "--regressor", "lasso"], "--regressor 'lasso'"),
    ("swap-syntax", [*FIT, "--protocol", "h36m", "--swap", "1-4"], "--swap"),
    ("swap-out-of-range", [*FIT, "--protocol", "h36m", "--swap", "1:99"], r"--swap 1:99: .* has points 0 to 4"),
    ("swap-negative", [*FIT, "--protocol", "h36m", "--swap", "-1:1"], r"--swap -1:1: .* has points 0 to 4"),
    ("swap-a-point-with-itself", [*FIT, "--protocol", "h36m", "--swap", "1:1"], "two different ones"),
    ("swap-without-h36m", [*FIT, "--swap", "0:1"], "--swap is for the h36m protocol"),
    ("swap-a-point-twice", [*FIT, "--protocol", "h36m", "--swap", "1:3,1:4"], "point 1 is already in another pair"),
    ("format-unknown", [*FIT, "--format", "png"], "unknown data format"),
    ("fit-missing", ["--fit", "{none}", "--test", "{good}"], "no such file"),
    ("out-is-a-file", [*FIT, "--out", "{afile}"], "is a file"),
]


@pytest.mark.parametrize(("args", "message"), [c[1:] for c in EVAL], ids=[c[0] for c in EVAL])
def test_eval_refuses(capsys, artifact, labels, args, message):
    refused(capsys, ["eval", artifact, *[a.format(**labels) for a in args]], message)


# -- export ---------------------------------------------------------------------------------------------------
EXPORT = [
    ("out-is-a-file", ["--out", "{t}/afile"], "is a file"),
    ("out-is-the-run", ["--out", "{run}"], "holds an input"),
    ("out-holds-the-run", ["--out", "{run}/.."], "holds an input"),
    ("out-is-a-foreign-folder", ["--out", "{t}/photos"], "not an lmsdk artifact folder"),
    ("labels-missing", ["--out", "{t}/art", "--labels", "{t}/none.csv"], "no such file"),
    ("labels-unlabelled", ["--out", "{t}/art", "--labels", "{t}/photos"], "no keypoint|not a readable|no images"),
    ("labels-format-without-labels", ["--out", "{t}/art", "--labels-format", "labels"], "give --labels too"),
]


@pytest.mark.parametrize(("args", "message"), [c[1:] for c in EXPORT], ids=[c[0] for c in EXPORT])
def test_export_refuses(capsys, tiny_run, tmp_path, args, message):
    (tmp_path / "afile").write_text("x")
    (tmp_path / "photos").mkdir()
    (tmp_path / "photos" / "holiday.jpg").write_bytes(b"x")
    refused(capsys, ["export", tiny_run, *[a.format(t=tmp_path, run=tiny_run) for a in args]], message)
    assert (tiny_run / "model").is_dir() and not (tmp_path / "art").exists()


def test_export_of_a_run_without_a_model(capsys, tmp_path):
    refused(capsys, ["export", tmp_path, "--out", tmp_path / "art"], "no finished model")


# -- generate and train-generator --------------------------------------------------------------------------------
GENERATE = [
    ("like-missing", ["--like", "{f}/none.png", "--out", "{t}/g"], "image file not found"),
    ("like-not-an-image", ["--like", "{f}/notes.png", "--out", "{t}/g"], "not a readable image"),
    ("out-is-a-file", ["--like", "{f}/0.png", "--out", "{f}/afile"], "is a file; give a folder"),
    ("out-is-the-artifact", ["--like", "{f}/0.png", "--out", "{a}"], "holds an input"),
    ("out-holds-the-reference", ["--like", "{f}/0.png", "--out", "{f}"], "holds an input"),
    ("n-zero", ["--like", "{f}/0.png", "--out", "{t}/g", "--n", "0"], "--n 0"),
    ("n-huge", ["--like", "{f}/0.png", "--out", "{t}/g", "--n", "100000"], "--n 100000"),
    ("seed-negative", ["--like", "{f}/0.png", "--out", "{t}/g", "--seed", "-1"], "seed -1"),
    ("box-inverted", ["--like", "{f}/0.png", "--out", "{t}/g", "--box", "40,10,20,30"], "x1 must exceed x0"),
    ("box-outside", ["--like", "{f}/0.png", "--out", "{t}/g", "--box", "100,0,150,50"], r"entirely outside .*64 x 64"),
    ("no-like", ["--out", "{t}/g"], "Missing option '--like'"),
    ("source-unknown", ["--like", "{f}/0.png", "--out", "{t}/g", "--source", "gan"], "source 'gan'"),
    ("temperature-zero", ["--like", "{f}/0.png", "--out", "{t}/g", "--temperature", "0"], "temperature 0"),
]


@pytest.mark.parametrize(("args", "message"), [c[1:] for c in GENERATE], ids=[c[0] for c in GENERATE])
def test_generate_refuses(capsys, generator_artifact, files, tmp_path, args, message):
    args = [a.format(f=files, a=generator_artifact, t=tmp_path) for a in args]
    refused(capsys, ["generate", generator_artifact, *args], message)
    assert not (tmp_path / "g").exists()


def test_generate_with_an_artifact_without_what_it_asks_for(capsys, artifact, priorless_artifact, files, tmp_path):
    args = ["--like", files / "0.png", "--out", tmp_path / "g"]
    refused(capsys, ["generate", artifact, *args, "--source", "generator"], "no generator")
    refused(capsys, ["generate", priorless_artifact, *args], "neither a generator nor a prior")
    assert not (tmp_path / "g").exists()


TRAIN_GENERATOR = [
    ("run-without-a-model", ["{t}", "--out", "{t}/gen"], "not a finished training run"),
    ("unknown-preset", ["{run}", "--out", "{t}/gen", "--preset", "huge"], "unknown generator preset"),
    ("out-is-the-run", ["{run}", "--out", "{run}"], "holds an input"),
    ("source-is-a-generator-run", ["{gen}", "--out", "{t}/gen"], "itself a generator run"),
    ("negative-cyclic", ["{run}", "--out", "{t}/gen", "--cyclic", "-1"], "cyclic loss weight"),
    (
        "start-from-unknown",
        ["{run}", "--out", "{t}/gen", "--start-from", "gan"],
        "start from 'gan': one of prior, noise",
    ),
    ("resume-changes-steps", ["{gen}", "--out", "{gen}", "--resume", "--steps", "9"], "cannot change when resuming"),
    ("resume-nothing", ["{run}", "--out", "{t}/gen", "--resume"], "config.json"),
]


@pytest.mark.parametrize(("args", "message"), [c[1:] for c in TRAIN_GENERATOR], ids=[c[0] for c in TRAIN_GENERATOR])
def test_train_generator_refuses(capsys, tiny_run, generator_run, tmp_path, args, message):
    args = [a.format(t=tmp_path, run=tiny_run, gen=generator_run) for a in args]
    refused(capsys, ["train-generator", *args, "--quiet"], message)
    assert not (tmp_path / "gen").exists()


# -- train (the trainer's own checks, and the system's answers mapped to one line) ------------------------------
TRAIN = [
    ("max-minutes-nan", ["--max-minutes", "nan"], "max minutes must be a positive number, got nan"),
    ("max-minutes-inf", ["--max-minutes", "inf"], "max minutes must be a positive number, got inf"),
    ("seed-negative", ["--seed", "-1"], "seed must be a non-negative integer, got -1"),
    ("checkpoint-every-negative", ["--checkpoint-every", "-1"], "checkpoint_every must be a step count"),
]


@pytest.mark.parametrize(("extra", "message"), [c[1:] for c in TRAIN], ids=[c[0] for c in TRAIN])
def test_train_refuses_settings_before_making_its_folder(capsys, tmp_path, extra, message):
    refused(capsys, ["train", "--preset", "tiny", "--steps", "1", "--out", tmp_path / "r", "--quiet", *extra], message)
    assert not (tmp_path / "r").exists()


def test_a_saved_config_that_is_not_one_is_named_with_its_file(capsys, tiny_run, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(tiny_run, run)
    (run / "config.json").write_text("[]")
    refused(
        capsys, ["train", "--out", run, "--resume", "--quiet"], r"run[/\\]config\.json: run config: expected an object"
    )
    model = json.loads((run / "model" / "model_config.json").read_text())
    model["model"]["num_landmarks"] = "eight"
    (run / "model" / "model_config.json").write_text(json.dumps(model))
    message = r"model_config\.json: model\.num_landmarks: expected int, got 'eight'"
    refused(capsys, ["export", run, "--out", tmp_path / "art"], message)
    model["model"]["num_landmarks"] = 0  # a value the config's own checks refuse: the file is named too
    (run / "model" / "model_config.json").write_text(json.dumps(model))
    refused(capsys, ["export", run, "--out", tmp_path / "art"], r"model_config\.json: .*num_landmarks")
    config = json.loads((tiny_run / "config.json").read_text())
    (run / "config.json").write_text(json.dumps({**config, "checkpoint_every": -1}))
    refused(capsys, ["train", "--out", run, "--resume", "--quiet"], r"config\.json: checkpoint_every must be a step")


def test_a_stage_refuses_a_negative_seed(capsys, tiny_run, tmp_path):
    args = ["train-generator", tiny_run, "--preset", "tiny", "--seed", "-1", "--out", tmp_path / "g", "--quiet"]
    refused(capsys, args, "seed must be a non-negative integer")
    assert not (tmp_path / "g").exists()


def test_train_out_on_an_existing_file(capsys, files):
    refused(capsys, ["train", "--preset", "tiny", "--steps", "1", "--out", files / "afile", "--quiet"], "is a file")


def test_train_out_under_a_file(capsys, files):
    args = ["train", "--preset", "tiny", "--steps", "1", "--out", files / "afile" / "r", "--quiet"]
    refused(capsys, args, "is a file, not a folder")


def test_train_out_inside_its_data_folder(capsys, tmp_path):
    (tmp_path / "photos").mkdir()
    args = ["train", "--data", tmp_path / "photos", "--out", tmp_path / "photos" / "run", "--quiet"]
    refused(capsys, args, "inside the input folder")
    assert not (tmp_path / "photos" / "run").exists()


def test_distill_out_is_its_teacher(capsys, tiny_run):
    refused(capsys, ["distill", tiny_run, "--out", tiny_run, "--quiet"], "holds an input")
    refused(capsys, ["distill", tiny_run, "--out", tiny_run / "lite", "--arch", "nosuch", "--quiet"], "unknown lite")


TRAINING_COMMANDS = ["train", "distill", "sharpen", "train-generator"]


def _run_shaping_options(command: str) -> list[list[str]]:
    """Every option of a training command that shapes the run (not one of the config fields a resume may change),
    each with a value of its type."""
    import typer.main

    from lmsdk.cli import app
    from lmsdk.trainer.resume import RESUMABLE_CHANGES

    values = {"int": "3", "float": "0.5"}
    found = []
    for param in typer.main.get_command(app).commands[command].params:
        if param.param_type_name != "option" or param.name in (*RESUMABLE_CHANGES, "out", "resume", "quiet", "help"):
            continue
        found.append([param.opts[0]] if param.is_flag else [param.opts[0], values.get(param.bare_type(), "x")])
    return found


@pytest.mark.parametrize("command", TRAINING_COMMANDS)
def test_every_run_shaping_option_is_refused_on_resume(capsys, tiny_run, tmp_path, command):
    """What may change on resume is derived from the config (RESUMABLE_CHANGES); each other option is refused, by
    name, before anything is read."""
    options = _run_shaping_options(command)
    shared = {"--steps", "--batch-size", "--seed", "--precision", "--compile", "--keep-checkpoints"}
    assert shared < {option[0] for option in options}, options  # the shared run options, and the command's own
    source = [] if command == "train" else [tiny_run]
    for option in options:
        message = f"{re.escape(option[0])} cannot change when resuming"
        refused(capsys, [command, *source, "--out", tmp_path / "x", "--resume", *option, "--quiet"], message)


@pytest.mark.parametrize("command", ["distill", "sharpen", "train-generator"])
def test_a_fine_tuning_resume_continues_only_its_own_stage(capsys, tiny_run, command):
    """A run directory of another kind (a discovery run) is not resumed as this stage."""
    refused(capsys, [command, tiny_run, "--out", tiny_run, "--resume", "--quiet"], f"not a {command} run")


# -- the command line itself ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nosuch"], "No such command 'nosuch'"),
        (["edit", "a", "b", "--move", "0:1,1"], "Missing option '--out'"),
        (["track"], "Missing argument"),
        (["demo-video", "x.avi", "--bogus"], "No such option: --bogus"),
        (["doctor", "--need", "quantum"], "--need 'quantum'"),
    ],
    ids=["unknown-command", "missing-option", "missing-argument", "unknown-option", "doctor-unknown-need"],
)
def test_usage_errors_are_one_line(capsys, args, message):
    refused(capsys, args, message)


def test_an_internal_error_says_so_in_one_line_and_shows_the_traceback_with_v(capsys, monkeypatch, tmp_path):
    import lmsdk.data.clips

    def broken(*args, **kwargs):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(lmsdk.data.clips, "write_clip", broken)
    code, _, err = cli(capsys, "demo-video", tmp_path / "d.avi")
    assert code == 1 and "internal error: ZeroDivisionError: a bug" in err and "rerun with -v" in err
    with pytest.raises(ZeroDivisionError):
        run(["-v", "demo-video", str(tmp_path / "d.avi")])


# -- what must keep working -----------------------------------------------------------------------------------
def test_edit_replaces_an_existing_output_and_reads_grey_and_rgba_pngs(capsys, artifact, files, tmp_path):
    face = cv2.imread(str(files / "0.png"))
    cv2.imwrite(str(tmp_path / "grey.png"), cv2.cvtColor(face, cv2.COLOR_BGR2GRAY))
    cv2.imwrite(str(tmp_path / "rgba.png"), cv2.cvtColor(face, cv2.COLOR_BGR2BGRA))
    out = tmp_path / "e.png"
    out.write_bytes(b"old")
    for name in ("grey.png", "rgba.png"):
        code, _, err = cli(capsys, "edit", artifact, tmp_path / name, "--move", "0:1,1", "--out", out)
        assert code == 0, err
        assert cv2.imread(str(out)) is not None
    assert not [p for p in tmp_path.iterdir() if ".tmp" in p.name]  # no temporary left behind


def test_track_replaces_outputs_only_when_complete(capsys, artifact, files, tmp_path):
    out, table = tmp_path / "o.avi", tmp_path / "p.csv"
    out.write_bytes(b"old")
    code, _, err = cli(capsys, "track", artifact, files / "clip.avi", "--out", out, "--csv", table)
    assert code == 0, err
    assert cv2.VideoCapture(str(out)).get(cv2.CAP_PROP_FRAME_COUNT) == 4
    assert len(table.read_text().splitlines()) == 5
    refused(capsys, ["track", artifact, files / "empty.avi", "--out", out], "no frame|cannot open")
    assert cv2.VideoCapture(str(out)).get(cv2.CAP_PROP_FRAME_COUNT) == 4  # the earlier result stays


def test_export_replaces_an_existing_artifact(capsys, tiny_run, tmp_path):
    out = tmp_path / "art"
    code, _, err = cli(capsys, "export", tiny_run, "--out", out)
    assert code == 0, err
    first = json.loads((out / "manifest.json").read_text())["created_utc"]
    (out / "eval").mkdir()  # lmsdk eval's default output inside an artifact: replaced with it
    code, _, err = cli(capsys, "export", tiny_run, "--out", out)
    assert code == 0, err
    assert json.loads((out / "manifest.json").read_text())["created_utc"] >= first and not (out / "eval").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["art"]  # no staging folder left behind
