"""A run directory written by an earlier lmsdk (tests/fixtures/legacy_run, made at commit 4b3d739 with the tiny
preset: 6 steps, checkpoints every 3, the one at step 3 kept) still resumes, exports and evaluates to the numbers
that lmsdk gave (tests/fixtures/legacy_expected.json), and configs of every stage it wrote still read."""

import json
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from lmsdk.data import SyntheticFaces, write_labels_csv
from lmsdk.model import load_model

FIXTURES = Path(__file__).parent / "fixtures"
LEGACY = FIXTURES / "legacy_run"
EXPECTED = FIXTURES / "legacy_expected.json"


def _losses(run_dir: Path) -> dict[int, float]:
    rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    return {r["step"]: r["loss"] for r in rows if "loss" in r}


def _labels(root: Path) -> Path:
    """120 synthetic faces as 48 px PNG files with their five points."""
    faces = SyntheticFaces(48, 120, seed=4242)
    names = []
    for i in range(len(faces)):
        cv2.imwrite(str(root / f"{i}.png"), faces.image(i)[:, :, ::-1])
        names.append(f"{i}.png")
    write_labels_csv(root / "labels.csv", names, [faces.keypoints(i) for i in range(len(faces))])
    return root / "labels.csv"


def _exported_points(artifact: Path) -> list:
    from lmsdk.runtime import Detector

    faces = SyntheticFaces(64, 3, seed=99)
    with Detector(artifact) as detector:
        return [detector(np.ascontiguousarray(faces.image(i)[:, :, ::-1])).points.tolist() for i in range(3)]


def measure(tmp_path: Path) -> dict:
    """What the legacy run gives: resumed from step 3, exported, evaluated."""
    from lmsdk.eval.evaluate import evaluate
    from lmsdk.export import export_run
    from lmsdk.trainer import read_config, train

    run = tmp_path / "run"
    shutil.copytree(LEGACY, run)
    shutil.rmtree(run / "model")
    result = train(read_config(run), run, resume=True)
    labels = (tmp_path / "labels").mkdir() or _labels(tmp_path / "labels")
    export_run(LEGACY, tmp_path / "artifact")
    evaluation = evaluate(LEGACY, str(labels), str(labels), regressor="ridge")
    return {
        "resumed_losses": {str(k): v for k, v in _losses(run).items() if k > 3},
        "resumed_sha256": result.final_metrics["parameters_sha256"],
        "resumed_model": str(run / "model"),
        "exported_points": _exported_points(tmp_path / "artifact"),
        "mean_error": evaluation.result.mean_error,
        "baseline_error": evaluation.result.baseline_error,
    }


def test_a_legacy_run_resumes_exports_and_evaluates_to_the_same_numbers(tmp_path):
    expected = json.loads(EXPECTED.read_text())
    found = measure(tmp_path)
    legacy = _losses(LEGACY)
    for step, loss in found["resumed_losses"].items():
        assert loss == pytest.approx(expected["resumed_losses"][step], rel=1e-5), step
        assert loss == pytest.approx(legacy[int(step)], rel=1e-5), step  # = the uninterrupted run
    straight, resumed = load_model(LEGACY / "model").state_dict(), load_model(found["resumed_model"]).state_dict()
    for name, value in straight.items():
        assert torch.allclose(value, resumed[name], rtol=1e-4, atol=1e-6), name
    np.testing.assert_allclose(found["exported_points"], expected["exported_points"], atol=1e-3)
    assert found["mean_error"] == pytest.approx(expected["mean_error"], rel=1e-4)
    assert found["baseline_error"] == pytest.approx(expected["baseline_error"], rel=1e-6)


if __name__ == "__main__":  # record the numbers (only with the lmsdk that wrote the fixture)
    import sys
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        numbers = measure(Path(tmp))
    numbers.pop("resumed_model")
    EXPECTED.write_text(json.dumps(numbers, indent=1) + "\n")
    sys.exit(0)
