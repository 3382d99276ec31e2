"""A generator run exports (from noise or from the prior and the run's decoder): generator.onnx beside the run's
detector, encoder, decoder and prior in one manifest, parity-gated against torch; artifacts without a generator
still load, and a manifest that lies is refused."""

import json
import shutil

import numpy as np
import onnx
import pytest
import torch

from lmsdk.errors import ArtifactError
from lmsdk.export.generator import generator_parity
from lmsdk.model import load_model
from lmsdk.model.generator_io import load_generator
from lmsdk.spec import read_manifest


def test_the_generator_is_exported_with_the_runs_graphs(generator_artifact):
    manifest = read_manifest(generator_artifact)
    assert {"detector", "encoder", "decoder", "generator"} <= set(manifest.files)
    assert manifest.generator is not None and manifest.generator["latent_dim"] == 8
    entry = manifest.files["generator"]
    assert [(t.name, t.shape) for t in entry.inputs] == [("landmarks", ("N", 8, 2)), ("latent", ("N", 8))]
    assert [(t.name, t.shape) for t in entry.outputs] == [("image", ("N", 3, 48, 48))]
    assert manifest.parity["generator.fp32"]["max_abs"]["image"] <= 1e-4  # docs/testing.md
    onnx.checker.check_model(onnx.load(str(generator_artifact / "generator.onnx")), full_check=True)


def test_the_exported_generator_matches_torch_on_fresh_inputs(generator_run, generator_artifact):
    model, generator = load_model(generator_run / "model"), load_generator(generator_run / "model")
    report = generator_parity(model, generator, generator_artifact / "generator.onnx", "fp32")
    assert report.ok and report.max_abs["image"] <= 1e-4


def test_a_generator_started_from_the_prior_is_exported_as_a_generator(prior_generator_artifact):
    manifest = read_manifest(prior_generator_artifact)
    assert {"detector", "encoder", "decoder", "prior", "generator"} <= set(manifest.files)
    assert manifest.generator is not None and manifest.generator["architecture"] == "prior-decoder"
    assert manifest.generator["latent_dim"] == manifest.prior["latent_dim"]  # the prior's Z: it draws its noise
    assert manifest.generator["prior"]["crops"] == manifest.prior["crops"]
    entry = manifest.files["generator"]
    z = manifest.prior["latent_dim"]
    assert [(t.name, t.shape) for t in entry.inputs] == [("landmarks", ("N", 8, 2)), ("latent", ("N", z))]
    assert manifest.parity["generator.fp32"]["max_abs"]["image"] <= 1e-4  # docs/testing.md


@pytest.mark.parametrize("which", ["generator", "prior_generator"])
def test_the_runtime_generator_gives_torchs_images(request, which):
    from lmsdk.runtime import Generator

    generator_run, generator_artifact = (request.getfixturevalue(f"{which}_{part}") for part in ("run", "artifact"))
    generator = load_generator(generator_run / "model")
    landmarks = np.random.default_rng(0).uniform(0.2, 0.8, (8, 2)).astype(np.float32)
    with Generator(generator_artifact) as runtime:
        latent = runtime.latents(3, seed=5)
        images = runtime.generate(landmarks, latent=latent)  # (3, S, S, 3) BGR uint8
    with torch.no_grad():
        expected = generator(torch.from_numpy(landmarks)[None].repeat(3, 1, 1), torch.from_numpy(latent))
    expected = (expected.permute(0, 2, 3, 1).numpy()[..., ::-1] * 255).round()
    assert np.abs(images.astype(np.float64) - expected).max() <= 1


def test_an_artifact_without_a_generator_still_loads(artifact):
    manifest = read_manifest(artifact)
    assert manifest.generator is None and "generator" not in manifest.files


def test_a_generator_file_without_its_manifest_entry_is_refused(generator_artifact, tmp_path):
    copy = tmp_path / "artifact"
    shutil.copytree(generator_artifact, copy)
    data = json.loads((copy / "manifest.json").read_text())
    data["generator"] = None
    (copy / "manifest.json").write_text(json.dumps(data))
    with pytest.raises(ArtifactError, match="generator"):
        read_manifest(copy)
    data["generator"] = {"latent_dim": 9}
    (copy / "manifest.json").write_text(json.dumps(data))
    with pytest.raises(ArtifactError, match="latent"):
        read_manifest(copy)
