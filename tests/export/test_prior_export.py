"""Every export of a model with descriptors carries the prior over its codes: prior.onnx, fitted on the run's
training crops, parity-gated, described in the manifest; older artifacts without it still load."""

import json
import shutil

import numpy as np
import pytest

from lmsdk.data import SyntheticFaces
from lmsdk.errors import ArtifactError
from lmsdk.export.prior import PRIOR_CROPS, export_prior, prior_parity
from lmsdk.model import load_model
from lmsdk.model.prior import DescriptorPrior, encode_crops, fit_prior
from lmsdk.runtime import Detector, Encoder
from lmsdk.runtime.prior import CodePrior
from lmsdk.spec import read_manifest


def test_the_prior_is_exported_with_the_runs_graphs(artifact):
    manifest = read_manifest(artifact)
    z = manifest.prior["latent_dim"]
    assert manifest.prior["crops"] == PRIOR_CROPS and 0 < manifest.prior["variance_kept"] <= 1
    assert 1 <= z <= 9 * 8  # at most the (K + 1) C descriptor numbers of the tiny model
    entry = manifest.files["prior"]
    assert [(t.name, t.shape) for t in entry.inputs] == [("landmarks", ("N", 8, 2)), ("noise", ("N", z))]
    assert [(t.name, t.shape) for t in entry.outputs] == [("descriptors", ("N", 9, 8))]
    assert manifest.parity["prior.fp32"]["max_abs"]["descriptors"] <= 1e-5


def test_the_prior_draws_the_codes_of_the_runs_kind_of_crops(artifact):
    """On 300 fresh faces of the training distribution, the runtime prior's mean descriptors at their landmarks
    are their descriptors' mean, and its draws spread as much as the descriptors do around it."""
    faces = SyntheticFaces(48, 300, seed=99)
    with Encoder(artifact) as encoder, CodePrior(artifact) as prior:
        codes = [encoder(np.ascontiguousarray(faces.image(i)[:, :, ::-1])) for i in range(300)]
        landmarks = np.stack([c.normalized for c in codes])
        descriptors = np.stack([c.descriptors for c in codes]).astype(np.float64)
        mean = prior(landmarks, np.zeros((300, prior.latent_dim), np.float32))
        drawn = prior(landmarks, np.random.default_rng(0).standard_normal((300, prior.latent_dim)).astype(np.float32))
    spread = descriptors.std(0).mean()
    assert np.abs(mean.mean(0) - descriptors.mean(0)).mean() < 0.2 * spread
    residual, sampled = (descriptors - mean).std(0).mean(), (drawn - mean).std(0).mean()
    assert 0.7 < sampled / residual < 1.3, (sampled, residual)


def test_the_exported_graph_is_the_fit(tiny_run, tmp_path):
    model = load_model(tiny_run / "model")
    crops = SyntheticFaces(48, 50, seed=5).images(range(50))
    fit = fit_prior(*encode_crops(model, crops))
    files, report, info = export_prior(fit, tmp_path)
    assert report.ok and info["latent_dim"] == fit.latent_dim and info["crops"] == 50
    again = prior_parity(DescriptorPrior(fit), tmp_path / files["prior"].file, seed=report.seed)
    assert again.max_abs == report.max_abs and again.seed == report.seed


def test_an_artifact_without_a_prior_still_loads(priorless_artifact):
    manifest = read_manifest(priorless_artifact)
    assert manifest.prior is None and "prior" not in manifest.files
    assert Detector(priorless_artifact).num_landmarks == 8


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda d: d.update(prior=None), "a prior file needs the manifest's prior entry"),
        (lambda d: d["prior"].update(latent_dim=0), "prior entry needs a positive integer latent_dim"),
        (lambda d: d["prior"].update(latent_dim=True), "prior entry needs a positive integer latent_dim"),
        (lambda d: d["prior"].update(latent_dim=d["prior"]["latent_dim"] + 1), "tensor 'noise' has shape"),
    ],
    ids=["entry-missing", "latent-zero", "latent-bool", "latent-not-the-graphs"],
)
def test_a_manifest_that_lies_about_the_prior_is_refused(artifact, tmp_path, damage, message):
    copy = tmp_path / "artifact"
    shutil.copytree(artifact, copy)
    data = json.loads((copy / "manifest.json").read_text())
    damage(data)
    (copy / "manifest.json").write_text(json.dumps(data))
    with pytest.raises(ArtifactError, match=message):
        read_manifest(copy)
