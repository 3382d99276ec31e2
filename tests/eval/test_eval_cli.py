"""`lmsdk eval` and named-point export on a trained model, with labels made as a user would."""

import json
import subprocess
import sys

import cv2
import numpy as np
import pytest

from lmsdk.data import SyntheticFaces, write_labels_csv


@pytest.fixture(scope="module")
def labels_csv(tmp_path_factory):
    """240 synthetic faces saved as files of 72 x 60 px, with the five points in pixels of those files."""
    from lmsdk.geometry import Box, crop_to_image

    root = tmp_path_factory.mktemp("labelled")
    faces = SyntheticFaces(60, 240, seed=4242)
    names, points = [], []
    for i in range(len(faces)):
        image = np.full((72, 60, 3), 90, np.uint8)
        image[6:66] = faces.image(i)  # the face is the centred 60 x 60 square of a taller picture
        cv2.imwrite(str(root / f"{i}.png"), image[:, :, ::-1])
        names.append(f"{i}.png")
        points.append(crop_to_image(faces.keypoints(i), Box(0, 6, 60, 60)))
    write_labels_csv(root / "labels.csv", names, points, ["leye", "reye", "nose", "lmouth", "rmouth"])
    return root / "labels.csv"


def test_eval_cli_prints_the_protocol_and_writes_plots(learned_run, labels_csv, tmp_path):
    out = tmp_path / "eval"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "lmsdk",
            "eval",
            str(learned_run),
            "--fit",
            str(labels_csv),
            "--test",
            str(labels_csv),
            "--few-shot",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    assert "zhang2018" in proc.stdout and "mean-shape baseline" in proc.stdout
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["protocol"] == "zhang2018" and metrics["n_fit"] == 192 and metrics["n_test"] == 48
    assert metrics["mean_error"] < 0.8 * metrics["baseline_error"]
    assert len(metrics["few_shot"]) >= 3 and (out / "figure.png").is_file() and (out / "few_shot.png").is_file()


def test_eval_of_artifact_matches_eval_of_run(learned_run, learned_artifact, labels_csv):
    from lmsdk.eval.evaluate import evaluate

    a = evaluate(learned_run, str(labels_csv), str(labels_csv))
    b = evaluate(learned_artifact, str(labels_csv), str(labels_csv))
    assert b.result.mean_error == pytest.approx(a.result.mean_error, abs=1e-4)


def test_eval_refuses_unlabelled_data_and_unknown_protocols(learned_run, labels_csv, tmp_path):
    images = tmp_path / "images"
    images.mkdir()
    cv2.imwrite(str(images / "a.png"), np.zeros((20, 20, 3), np.uint8))
    proc = subprocess.run(
        [sys.executable, "-m", "lmsdk", "eval", str(learned_run), "--fit", str(images), "--test", str(images)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 2 and "no keypoint annotations" in proc.stderr
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "lmsdk",
            "eval",
            str(learned_run),
            "--fit",
            str(labels_csv),
            "--test",
            str(labels_csv),
            "--protocol",
            "nme",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 2 and "unknown protocol" in proc.stderr


def test_export_with_labels_detects_the_named_points(learned_run, labels_csv, tmp_path):
    from lmsdk.export import export_run
    from lmsdk.geometry import Box, crop_to_image
    from lmsdk.runtime import Detector

    export_run(learned_run, tmp_path / "named", labels=str(labels_csv))
    det = Detector(tmp_path / "named")
    assert det.named_points == ["leye", "reye", "nose", "lmouth", "rmouth"]
    faces = SyntheticFaces(60, 40, seed=999)  # new faces, never labelled
    errors, baseline = [], []
    mean_shape = np.mean([faces.keypoints(i) for i in range(40)], axis=0)
    for i in range(40):
        res = det(np.ascontiguousarray(faces.image(i)[:, :, ::-1]))
        truth = crop_to_image(faces.keypoints(i), Box(0, 0, 60, 60))
        iod = np.linalg.norm(truth[0] - truth[1])
        errors.append(np.linalg.norm(res.named - truth, axis=1).mean() / iod)
        baseline.append(np.linalg.norm(crop_to_image(mean_shape, Box(0, 0, 60, 60)) - truth, axis=1).mean() / iod)
    assert res.named.shape == (5, 2)
    assert np.mean(errors) < 0.8 * np.mean(baseline), (np.mean(errors), np.mean(baseline))

    # lmsdk eval scores the artifact's own named points beside the regression it fits
    from lmsdk.eval.evaluate import evaluate

    evaluation = evaluate(tmp_path / "named", str(labels_csv), str(labels_csv), regressor="ridge")
    named, fitted = evaluation.named, evaluation.result
    assert named is not None and named.names == ("leye", "reye", "nose", "lmouth", "rmouth")
    assert named.per_point.shape == (5,) and named.mean_error < 0.8 * fitted.baseline_error
    # the export's ridge saw the test images too: no worse than a ridge fitted on the fit part alone
    assert named.mean_error <= 1.1 * fitted.mean_error, (named.mean_error, fitted.mean_error)
    assert evaluate(learned_run, str(labels_csv), str(labels_csv)).named is None  # a run has no named points


def test_export_cli_takes_labels_and_fits_them_by_cross_validated_ridge(tiny_run, labels_csv, tmp_path, capsys):
    from lmsdk.cli import run

    out = tmp_path / "named"
    assert run(["export", str(tiny_run), "--out", str(out), "--labels", str(labels_csv)]) == 0
    assert "named points: leye, reye, nose, lmouth, rmouth from 240 labelled images (ridge" in capsys.readouterr().out
    named = json.loads((out / "manifest.json").read_text())["named_points"]
    assert named["protocol"] == "ridge-cv" and named["ridge_alpha"] > 0 and named["cv_error"] > 0
