"""int8 detectors: calibrated on the run's crops, gated in pixels against the fp32 graph, run by the runtime."""

import json

import numpy as np
import pytest

from lmsdk.cli import main
from lmsdk.data import SyntheticFaces
from lmsdk.export import export_run
from lmsdk.runtime import Detector


@pytest.fixture(scope="module")
def int8_artifact(tmp_path_factory, learned_run):
    out = tmp_path_factory.mktemp("artifacts") / "int8"
    export_run(learned_run, out, int8=True)
    return out


def test_int8_detector_is_in_the_manifest_with_its_figures(int8_artifact):
    manifest = json.loads((int8_artifact / "manifest.json").read_text())
    assert manifest["files"]["detector.int8"]["precision"] == "int8"
    parity = manifest["parity"]["detector.int8"]
    # What the tiny model gives: docs/testing.md.
    assert 0 < parity["crop_px"]["mean"] <= parity["tolerance_px"]["mean"]
    assert parity["crop_px"]["p99"] <= parity["tolerance_px"]["p99"] and parity["crops"] >= 100


def test_everything_after_the_softmax_stays_in_float(int8_artifact):
    """The soft-argmax and the confidence are not quantized: 8 bits on a coordinate is a third of a crop pixel."""
    import onnx

    from lmsdk.export.quantize import after_softmax

    graph = onnx.load(str(int8_artifact / "detector.int8.onnx")).graph
    kinds = {node.name: node.op_type for node in graph.node}
    tail = after_softmax(graph)
    assert len(tail) >= 5 and not {"QuantizeLinear", "DequantizeLinear"} & {kinds[name] for name in tail}
    produced_by = {output: node.op_type for node in graph.node for output in node.output}
    assert {produced_by[o.name] for o in graph.output}.isdisjoint({"QuantizeLinear", "DequantizeLinear"})
    assert "QuantizeLinear" in kinds.values()  # the network itself is int8


def test_int8_runtime_lands_near_fp32_on_real_looking_pictures(int8_artifact):
    pictures = [np.ascontiguousarray(face[:, :, ::-1]) for face in SyntheticFaces(120, 12, seed=99).images(range(12))]
    fp32 = Detector(int8_artifact).batch(pictures)
    int8 = Detector(int8_artifact, precision="int8").batch(pictures)
    distance = np.linalg.norm(np.stack([a.points for a in fp32]) - np.stack([b.points for b in int8]), axis=-1)
    side = 120 / 48  # the crop is the whole 120 px picture, seen at 48 px
    assert distance.mean() < 0.5 * side and distance.max() < 4 * side
    assert Detector(int8_artifact, precision="int8").backend_name.startswith("onnxruntime")


def test_int8_export_beyond_its_tolerance_is_refused_with_figures(learned_run, tmp_path, monkeypatch, capsys):
    import lmsdk.export.quantize as quantize

    monkeypatch.setitem(quantize.INT8_TOLERANCE_PX, "mean", 1e-6)
    monkeypatch.setattr("sys.argv", ["lmsdk", "export", str(learned_run), "--out", str(tmp_path / "a"), "--int8"])
    with pytest.raises(SystemExit) as exit_info:
        main()
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "int8 parity gate failed" in errors[0] and "mean" in errors[0] and " px" in errors[0]
    assert "Traceback" not in err
    assert not (tmp_path / "a").exists()  # nothing half-written
