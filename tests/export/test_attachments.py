"""What an artifact carries besides its graphs: reference outputs that catch a wrong graph anywhere, the PyTorch
weights to fine-tune from, a model card and a licence; every listed file is verified when the artifact opens."""

import json
import shutil

import numpy as np
import onnx
import pytest
import torch
from onnx import numpy_helper

from lmsdk.cli import run as cli
from lmsdk.errors import ArtifactError
from lmsdk.runtime import Detector, ShapeEditor
from lmsdk.runtime.artifact import Artifact
from lmsdk.runtime.selfcheck import check_reference, load_reference
from lmsdk.spec import CARD, REFERENCE, WEIGHTS, sha256_file


def _copy(artifact, tmp_path, name="copy"):
    out = tmp_path / name
    shutil.copytree(artifact, out)
    return out


def _rehash(folder, key):
    manifest = json.loads((folder / "manifest.json").read_text())
    table = manifest["attachments"] if key in manifest["attachments"] else manifest["files"]
    table[key]["sha256"] = sha256_file(folder / table[key]["file"])
    (folder / "manifest.json").write_text(json.dumps(manifest))


def test_every_graph_matches_the_outputs_recorded_at_export(artifact):
    checks = check_reference(artifact)
    graphs = {c.graph for c in checks}
    assert graphs == {"detector", "encoder", "decoder", "detector.fp16", "encoder.fp16", "decoder.fp16"}
    assert all(c.ok for c in checks), [c for c in checks if not c.ok]
    fp32 = [c for c in checks if "." not in c.graph]
    assert max(c.error for c in fp32) < 1e-4  # the same graphs on the same machine: far inside the tolerance
    reference = load_reference(Artifact(artifact))
    assert reference["image"].dtype == np.uint8 and reference["image"].ndim == 4
    assert reference["detector.landmarks"].shape[1:] == (Detector(artifact).num_landmarks, 2)


def test_a_graph_that_computes_something_else_fails_the_check_and_verify(artifact, tmp_path):
    """A detector whose weights changed but whose hash was updated opens fine; only the recorded outputs show it."""
    forged = _copy(artifact, tmp_path)
    model = onnx.load(forged / "detector.onnx")
    weight = max(model.graph.initializer, key=lambda t: np.prod(t.dims))
    values = numpy_helper.to_array(weight)
    weight.CopyFrom(numpy_helper.from_array((values * 1.5).astype(values.dtype), weight.name))
    onnx.save(model, forged / "detector.onnx")
    _rehash(forged, "detector")
    Detector(forged)  # the hashes agree with the manifest
    failed = {(c.graph, c.output) for c in check_reference(forged) if not c.ok}
    assert ("detector", "landmarks") in failed and not any(g.startswith("encoder") for g, _ in failed)
    assert cli(["verify", str(forged)]) == 2
    assert cli(["verify", str(artifact)]) == 0


def test_opening_an_artifact_verifies_every_file_it_lists(artifact, tmp_path):
    """A wrong decoder stops a Detector too, though a Detector never runs the decoder."""
    for name in ("decoder.onnx", "reference.npz"):
        broken = _copy(artifact, tmp_path, name)
        with open(broken / name, "r+b") as f:
            f.seek(100)
            f.write(b"\x00\x01\x02")
        with pytest.raises(ArtifactError, match=rf"{name.replace('.', '[.]')}: sha256 .* does not match"):
            Detector(broken)
    assert cli(["track", str(broken), "clip.avi"]) == 2


def test_weights_card_and_licence_travel_with_the_artifact(tiny_run, tmp_path):
    from lmsdk.export import export_run
    from lmsdk.model import load_model

    card = tmp_path / "card.md"
    card.write_text("# tiny\nA card.\n")
    out = tmp_path / "art"
    manifest = export_run(tiny_run, out, with_weights=True, card=card, license="test terms").manifest
    assert manifest.license == "test terms"
    assert set(manifest.attachments) >= {REFERENCE, WEIGHTS, CARD}
    assert (out / "MODEL_CARD.md").read_text() == card.read_text()
    carried, trained = load_model(out / "weights"), load_model(tiny_run / "model")
    assert carried.config == trained.config
    for name, tensor in trained.state_dict().items():
        assert torch.equal(carried.state_dict()[name], tensor), name
    ShapeEditor(out)  # still an ordinary artifact
    assert cli(["export", str(tiny_run), "--out", str(tmp_path / "x"), "--card", str(tmp_path / "nope.md")]) == 2


def test_training_starts_from_an_artifacts_weights_or_refuses_one_without(tiny_run, artifact, tmp_path):
    """lmsdk train --init ARTIFACT (a shipped model's name resolves to one) starts from the weights it carries."""
    from lmsdk.export import export_run
    from lmsdk.model import load_model
    from lmsdk.trainer.sources import source_model

    out = tmp_path / "art"
    export_run(tiny_run, out, with_weights=True)
    started = source_model(out)
    for name, tensor in load_model(tiny_run / "model").state_dict().items():
        assert torch.equal(started.state_dict()[name], tensor), name
    with open(out / "weights" / "model.safetensors", "r+b") as f:
        f.seek(200)
        f.write(b"\x00\x01")
    with pytest.raises(ArtifactError, match=r"model\.safetensors: sha256 .* does not match"):
        source_model(out)
    args = ["train", "--preset", "tiny", "--steps", "1", "--out", str(tmp_path / "run"), "--init", str(artifact)]
    assert cli(args) == 2  # the fixture artifact was exported without its weights
