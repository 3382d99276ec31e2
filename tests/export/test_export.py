"""Export: parity of every graph with the trained model, the manifest, and the refusals."""

import json
import shutil
import subprocess
import sys

import numpy as np
import onnx
import pytest
import torch

from lmsdk.export import TOLERANCES
from lmsdk.export.parity import BATCHES, REAL_SYNTHETIC, REAL_TRAINING, check_parity, parity_inputs
from lmsdk.export.wrappers import GRAPHS, example_inputs
from lmsdk.model import load_model
from lmsdk.ops.images import images_to_tensor
from lmsdk.runtime import Artifact, ArtifactError, Decoder, Detector, Encoder
from lmsdk.runtime.backends import OrtBackend
from lmsdk.spec import MANIFEST_FILE, SCHEMA_VERSION, read_manifest


@pytest.fixture(scope="module")
def model(tiny_run):
    return load_model(tiny_run / "model")


@pytest.mark.parametrize("component", ["detector", "encoder", "decoder"])
@pytest.mark.parametrize("batch", [1, 7])
def test_fp32_graph_matches_torch_on_fresh_random_inputs(artifact, model, component, batch):
    backend = OrtBackend(artifact / f"{component}.onnx")
    seed = torch.seed()  # fresh inputs every run; a failure names the seed that reproduces it
    inputs = example_inputs(model, component, batch, torch.Generator().manual_seed(seed))
    with torch.no_grad():
        expected = GRAPHS[component](model)(*inputs)
    expected = expected if isinstance(expected, tuple) else (expected,)
    got = backend.run(dict(zip(backend.input_names, (x.numpy() for x in inputs), strict=True)))
    for name, ref in zip(backend.output_names, expected, strict=True):
        assert got[name].shape == tuple(ref.shape)
        assert np.abs(got[name] - ref.numpy()).max() <= TOLERANCES["fp32"][name], (name, seed)


@pytest.mark.parametrize("component", ["detector", "encoder", "decoder"])
def test_fp16_graph_passes_its_gate_on_the_cpu_provider(artifact, model, component):
    report = check_parity(model, component, artifact / f"{component}.fp16.onnx", "fp16")
    assert report.ok, report.describe()
    graph = onnx.load(str(artifact / f"{component}.fp16.onnx"))
    assert any(t.data_type == onnx.TensorProto.FLOAT16 for t in graph.graph.initializer)
    assert all(i.type.tensor_type.elem_type == onnx.TensorProto.FLOAT for i in graph.graph.input)


def test_manifest_records_contract_parity_and_hashes(artifact, model):
    manifest = read_manifest(artifact)
    assert manifest.schema_version == SCHEMA_VERSION
    assert manifest.num_landmarks == model.config.num_landmarks
    assert manifest.input.crop_size == model.config.crop_size and manifest.input.color_order == "RGB"
    parts = {"detector", "encoder", "decoder", "detector.fp16", "encoder.fp16", "decoder.fp16", "prior"}
    assert set(manifest.files) == parts
    assert manifest.parity["detector.fp32"]["max_abs"]["landmarks"] < 1e-4
    assert manifest.parity["end_to_end_px"]["max_abs"] < 0.05
    assert manifest.framing is not None and len(manifest.framing.mean) == model.config.num_landmarks
    assert manifest.versions["opset"] == "17"
    assert manifest.parity["detector.fp16"]["inputs"] == REAL_TRAINING  # the run's data is readable here
    for entry in manifest.files.values():
        assert not (artifact / (entry.file + ".data")).exists()  # self-contained: no external-data side file
        graph = onnx.load(str(artifact / entry.file))
        dims = graph.graph.input[0].type.tensor_type.shape.dim
        assert dims[0].dim_param == "N" and all(d.dim_value > 0 for d in dims[1:])  # only the batch is dynamic


def test_parity_uses_the_given_training_crops_as_its_real_batch(model):
    crops = np.random.default_rng(0).integers(0, 256, (5, model.config.crop_size, model.config.crop_size, 3), np.uint8)
    for component in ("detector", "encoder"):
        batches = parity_inputs(model, component, crops)
        assert [b[0].shape[0] for b in batches] == [*BATCHES, 5]
        assert torch.equal(batches[-1][0], images_to_tensor(crops))
    decoder_batches = parity_inputs(model, "decoder", crops)
    with torch.no_grad():
        assert torch.equal(decoder_batches[-1][0], model.encode(images_to_tensor(crops)).points)


def test_a_parity_check_records_its_seed_and_reruns_on_the_same_inputs(artifact, model):
    """The gate draws fresh random inputs each time; the report (and the manifest) keeps their seed, so a failed
    gate can be rerun on exactly its inputs."""
    a, b = parity_inputs(model, "detector", seed=7), parity_inputs(model, "detector", seed=7)
    assert all(torch.equal(x[0], y[0]) for x, y in zip(a, b, strict=True))
    assert not torch.equal(a[0][0], parity_inputs(model, "detector", seed=8)[0][0])
    first = check_parity(model, "detector", artifact / "detector.fp16.onnx", "fp16")
    again = check_parity(model, "detector", artifact / "detector.fp16.onnx", "fp16", seed=first.seed)
    assert first.seed is not None and again.max_abs == first.max_abs
    assert f"seed {first.seed}" in first.describe()
    assert isinstance(read_manifest(artifact).parity["detector.fp16"]["seed"], int)


def test_export_without_the_training_data_checks_parity_on_synthetic_faces(tiny_run, tmp_path, caplog):
    """A run moved to a machine without its data still exports; the manifest says what the gate saw."""
    from lmsdk.export import export_run

    run = tmp_path / "moved"
    shutil.copytree(tiny_run, run)
    config = json.loads((run / "config.json").read_text())
    config["data"] = {**config["data"], "source": str(tmp_path / "gone" / "train.txt"), "format": "mtfl"}
    (run / "config.json").write_text(json.dumps(config))
    with caplog.at_level("WARNING", logger="lmsdk.export.export"):
        result = export_run(run, tmp_path / "art")
    assert "synthetic faces" in caplog.text and "gone" in caplog.text
    assert "no prior over the codes" in caplog.text  # fitted on the run's data or not at all
    assert result.manifest.prior is None and "prior" not in result.manifest.files
    assert {entry["inputs"] for entry in result.manifest.parity.values() if "inputs" in entry} == {REAL_SYNTHETIC}
    (run / "config.json").unlink()  # a model folder saved without its run (benchmarks do this): still exports
    result = export_run(run, tmp_path / "art2")
    assert result.manifest.parity["detector.fp32"]["inputs"] == REAL_SYNTHETIC


def test_detector_on_another_image_size_matches_torch_in_pixels(artifact, model):
    """train -> export -> Detector on a 97 x 131 BGR picture: the points are torch's, mapped to that picture."""
    from lmsdk.data import SyntheticFaces
    from lmsdk.geometry import Box, crop_resize, crop_to_image
    from lmsdk.ops.images import images_to_tensor

    rgb = SyntheticFaces(160, 1, seed=7).image(0)[10:141, 30:127]
    bgr = np.ascontiguousarray(rgb[:, :, ::-1])
    result = Detector(artifact)(bgr)
    box = Box.centered_square(97, 131)
    with torch.no_grad():
        points = model.encode(images_to_tensor(crop_resize(rgb, box, model.config.crop_size)[None])).points[0]
    expected = crop_to_image(points.numpy(), box)
    assert result.points.shape == (model.config.num_landmarks, 2)
    assert np.abs(result.points - expected).max() < 0.01  # pixels
    assert result.box == box and (result.confidence > 0).all() and (result.confidence <= 1).all()


def test_batched_detection_equals_one_by_one(artifact):
    from lmsdk.data import SyntheticFaces

    images = [np.ascontiguousarray(im[:, :, ::-1]) for im in SyntheticFaces(64, 3, seed=3).images(range(3))]
    det = Detector(artifact)
    batched = det.batch(images)
    stacked = det.batch(np.stack(images))
    for one, a, b in zip(images, batched, stacked, strict=True):
        single = det(one)
        assert np.allclose(single.points, a.points, atol=1e-4) and np.allclose(a.points, b.points)


def test_encoder_decoder_round_trip(artifact):
    from lmsdk.data import SyntheticFaces

    image = np.ascontiguousarray(SyntheticFaces(48, 1, seed=1).image(0)[:, :, ::-1])
    code = Encoder(artifact)(image)
    decoded = Decoder(artifact)(code.normalized, code.descriptors)
    assert decoded.shape == (48, 48, 3) and decoded.dtype == np.uint8
    batch = Decoder(artifact)(np.stack([code.normalized] * 2), np.stack([code.descriptors] * 2))
    assert batch.shape == (2, 48, 48, 3) and np.array_equal(batch[0], decoded)


# -- refusals -----------------------------------------------------------------------------------------


@pytest.fixture
def artifact_copy(artifact, tmp_path):
    target = tmp_path / "copy"
    shutil.copytree(artifact, target)
    return target


def test_missing_model_file_is_refused(artifact_copy):
    (artifact_copy / "detector.onnx").unlink()
    with pytest.raises(ArtifactError, match=r"detector\.onnx.*missing"):
        Detector(artifact_copy)


def test_truncated_model_file_is_refused(artifact_copy):
    path = artifact_copy / "decoder.onnx"
    path.write_bytes(path.read_bytes()[:1000])
    with pytest.raises(ArtifactError, match=r"decoder\.onnx.*does not match"):
        Decoder(artifact_copy)


def test_replaced_model_file_is_refused(artifact_copy):
    shutil.copy(artifact_copy / "encoder.onnx", artifact_copy / "detector.onnx")
    with pytest.raises(ArtifactError, match="sha256"):
        Detector(artifact_copy)


def test_unknown_schema_is_refused(artifact_copy):
    data = json.loads((artifact_copy / MANIFEST_FILE).read_text())
    data["schema_version"] = SCHEMA_VERSION + 1
    (artifact_copy / MANIFEST_FILE).write_text(json.dumps(data))
    with pytest.raises(ArtifactError, match="unknown manifest schema"):
        Artifact(artifact_copy)


def _short_framing(data):
    data["framing"]["mean"] = data["framing"]["mean"][:3]


def _nan_framing(data):
    data["framing"]["std"][0][1] = float("nan")


def _three_column_framing(data):
    data["framing"]["mean"] = [[*row, 0.5] for row in data["framing"]["mean"]]


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (_short_framing, r"framing\.mean must hold \d+ \(x, y\) pairs"),
        (_three_column_framing, r"framing\.mean must hold \d+ \(x, y\) pairs"),
        (_nan_framing, r"framing\.std holds a value that is not a finite number"),
        (lambda d: d.update(named_points={"names": 5}), "named_points needs a non-empty list"),
        (lambda d: d.update(named_points="eyes"), "named_points needs a non-empty list"),
        (lambda d: d["input"].update(crop_size="48"), r"input\.crop_size is '48', not an integer"),
    ],
    ids=["framing-short", "framing-3-columns", "framing-nan", "named-names-not-a-list", "named-a-string", "crop-str"],
)
def test_a_manifest_that_does_not_agree_with_itself_is_refused(artifact_copy, damage, message):
    """Each of these would load and then crash or steer the tracker with garbage."""
    data = json.loads((artifact_copy / MANIFEST_FILE).read_text())
    damage(data)
    (artifact_copy / MANIFEST_FILE).write_text(json.dumps(data))
    with pytest.raises(ArtifactError, match=message):
        Artifact(artifact_copy)


def test_missing_or_broken_manifest_is_refused(artifact_copy, tmp_path):
    (artifact_copy / MANIFEST_FILE).write_text("{")
    with pytest.raises(ArtifactError, match="not valid JSON"):
        Artifact(artifact_copy)
    (artifact_copy / MANIFEST_FILE).unlink()
    with pytest.raises(ArtifactError, match="manifest not found"):
        Artifact(artifact_copy)
    with pytest.raises(ArtifactError, match="no such artifact folder, and not the name of a shipped model"):
        Artifact(tmp_path / "nothing")


def test_parity_failure_fails_the_export_without_a_manifest(tiny_run, tmp_path, monkeypatch):
    from lmsdk.export import ParityError, export_run
    from lmsdk.export import export as export_module

    real = export_module.check_parity

    def broken(model, component, path, precision, **kwargs):
        report = real(model, component, path, precision, **kwargs)
        report.max_abs = {k: v + 1.0 for k, v in report.max_abs.items()}  # as if the graph were wrong
        return report

    monkeypatch.setattr(export_module, "check_parity", broken)
    with pytest.raises(ParityError, match="parity gate failed"):
        export_run(tiny_run, tmp_path / "bad")
    assert not (tmp_path / "bad" / MANIFEST_FILE).exists()


def test_cli_export_trt_without_tensorrt_refuses_before_exporting_anything(tiny_run, tmp_path):
    from lmsdk.errors import BackendUnavailableError
    from lmsdk.export.tensorrt import require_tensorrt

    try:
        require_tensorrt("this test")
        pytest.skip("TensorRT and a GPU are here: --trt builds engines (tests/export/test_gpu.py)")
    except BackendUnavailableError:
        pass
    out = tmp_path / "art"
    proc = subprocess.run(
        [sys.executable, "-m", "lmsdk", "export", str(tiny_run), "--out", str(out), "--trt"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 2, proc.stderr
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("error:") and ("TensorRT" in last or "GPU" in last), proc.stderr
    assert "Traceback" not in proc.stderr
    assert not out.exists()  # refused before the ONNX export (a minute on a paper model), not after


def test_cli_export_of_an_unfinished_run_exits_2(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "lmsdk", "export", str(tmp_path), "--out", str(tmp_path / "a")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 2 and "no finished model" in proc.stderr


def test_export_of_a_model_without_descriptors(tmp_path, tiny_config):
    """MNIST-style models decode from landmarks alone; every part still exports and runs."""
    from lmsdk.export import export_run
    from lmsdk.trainer import train

    config = tiny_config.replace(
        model=tiny_config.model.replace(feature=None, descriptor_dim=0),
        steps=2,
        sample_every=0,
        checkpoint_every=0,
        bn_batches=1,
        eval_images=0,
    )
    train(config, tmp_path / "run")
    assert export_run(tmp_path / "run", tmp_path / "art").manifest.prior is None  # no descriptors: nothing to draw
    image = np.full((48, 48, 3), 120, np.uint8)
    code = Encoder(tmp_path / "art")(image)
    assert code.descriptors is None
    assert Decoder(tmp_path / "art")(code.normalized).shape == (48, 48, 3)
