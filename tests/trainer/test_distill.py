"""Distillation: a lite student learns a trained teacher's landmarks, and its run exports like any run."""

import json

import numpy as np
import pytest
import torch

from lmsdk.data import SyntheticFaces
from lmsdk.errors import ConfigError
from lmsdk.model import load_model
from lmsdk.ops.images import images_to_tensor
from lmsdk.trainer import DistillConfig, fine_tuning_config, train
from lmsdk.trainer.stages.distill import distillation_terms

STEPS = 150


@pytest.fixture(scope="module")
def lite_run(tmp_path_factory, learned_run):
    out = tmp_path_factory.mktemp("runs") / "lite"
    config = fine_tuning_config(
        DistillConfig(str(learned_run), arch="lite"),
        steps=STEPS,
        batch_size=16,
        bn_batches=10,
        eval_every=0,
        sample_every=0,
    )
    train(config.replace(checkpoint_every=0, progress=False), out)
    return out


def _student_teacher_px(model) -> float:
    held_out = SyntheticFaces(model.config.crop_size, 300, seed=777)
    crops = images_to_tensor(held_out.images(range(len(held_out))))
    with torch.no_grad():
        student, teacher = model.detect(crops).points, model.detector(model.pad(crops)).points
    return float(((student - teacher) * model.config.crop_size).norm(dim=-1).mean())


def test_the_student_learns_the_teachers_landmarks(lite_run, learned_run):
    # The bound and what it stands on: docs/testing.md.
    model = load_model(lite_run / "model")
    assert _student_teacher_px(model) < 2.5
    teacher = load_model(learned_run / "model")
    for name, tensor in teacher.state_dict().items():  # the teacher travels along, untouched
        assert torch.equal(model.state_dict()[name], tensor), name
    config = json.loads((lite_run / "config.json").read_text())
    assert config["stage"] == {
        "kind": "distill",
        "source": str(learned_run),
        "arch": "lite",
        "points": 1.0,
        "maps": 1.0,
    }
    assert config["model"]["lite"]["stem"] == 16


def test_an_untrained_student_is_far_from_the_teacher(learned_run):
    from lmsdk.model import LandmarkAutoencoder

    config = fine_tuning_config(DistillConfig(str(learned_run)))
    model = LandmarkAutoencoder(config.model).eval()
    model.load_state_dict(load_model(learned_run / "model").state_dict(), strict=False)
    assert _student_teacher_px(model) > 4.0


def test_the_lite_run_exports_both_detectors_and_tracking_runs_the_student(lite_run, tmp_path):
    import onnx

    from lmsdk.export import export_run
    from lmsdk.runtime import Detector, ShapeEditor

    result = export_run(lite_run, tmp_path / "lite")
    graphs = {c: onnx.load(tmp_path / "lite" / f"{c}.onnx").graph for c in ("detector", "tracker", "encoder")}
    ops = {c: {node.op_type for node in g.node} for c, g in graphs.items()}
    # the tracker graph is the student (ReLU inverted residuals); the detector and encoder the teacher's
    # (LeakyReLU hourglasses)
    assert "Relu" in ops["tracker"] and "LeakyRelu" not in ops["tracker"]
    assert "LeakyRelu" in ops["detector"] and "LeakyRelu" in ops["encoder"]
    assert any("lite" in t.name for t in graphs["tracker"].initializer)
    assert not any("lite" in t.name for t in graphs["detector"].initializer)
    side = result.manifest.input.crop_size
    rgb = SyntheticFaces(side, 1, seed=4).image(0)  # exactly a crop: the runtime's crop is the whole image
    image = np.ascontiguousarray(rgb[:, :, ::-1])
    model = load_model(lite_run / "model")
    with torch.no_grad():
        crop = images_to_tensor(rgb[None])
        student, teacher = model.detect(crop).points[0].numpy(), model.detector(model.pad(crop)).points[0].numpy()
    assert np.abs(student - teacher).max() > 1e-3  # the two detectors differ, so the checks below can tell them apart
    tracking = Detector.for_tracking(tmp_path / "lite")
    assert (tracking.graph, tracking.precision) == ("tracker", "fp32")  # no int8 exported
    assert np.abs(tracking(image).normalized - student).max() < 1e-4
    assert np.abs(Detector(tmp_path / "lite", graph="tracker")(image).normalized - student).max() < 1e-4
    assert np.abs(Detector(tmp_path / "lite")(image).normalized - teacher).max() < 1e-4
    edit = ShapeEditor(tmp_path / "lite").edit(image, {0: (4.0, 0.0)})  # the teacher's encoder and decoder
    assert edit.image.shape == (side, side, 3) and np.abs(edit.image.astype(int) - edit.reconstruction).max() > 0


def test_distillation_terms_vanish_when_the_student_is_the_teacher():
    from lmsdk.model.detector import Detection

    probs = torch.softmax(torch.randn(2, 5, 8, 8), 1)
    det = Detection(torch.rand(2, 4, 2), torch.rand(2, 4, 2), probs)
    terms = distillation_terms(det, det, 48)
    assert float(terms["points"]) == 0 and abs(float(terms["maps"])) < 1e-6
    other = Detection(det.points + 0.01, det.spread, torch.softmax(torch.randn(2, 5, 8, 8), 1))
    terms = distillation_terms(other, det, 48)
    assert float(terms["points"]) == pytest.approx(2 * 0.48**2, rel=1e-4) and float(terms["maps"]) > 0.01


def test_distil_refuses_what_it_cannot_use(tmp_path, learned_run, lite_run):
    with pytest.raises(ConfigError, match="unknown lite architecture"):
        DistillConfig(str(learned_run), arch="nosuch")
    with pytest.raises(ConfigError, match="not a finished training run"):
        fine_tuning_config(DistillConfig(str(tmp_path)))
    with pytest.raises(ConfigError, match="itself a distilled run"):
        fine_tuning_config(DistillConfig(str(lite_run)))
