"""The torch-free Generator: images with the landmarks of a reference, repeatable by seed, checked inputs."""

import numpy as np
import pytest

from lmsdk.data import SyntheticFaces
from lmsdk.errors import ArtifactError, ConfigError, ImageError, InputError
from lmsdk.runtime import Box, Decoder, Detector, Generator
from lmsdk.runtime.prior import CodePrior
from lmsdk.spec import read_manifest


@pytest.fixture(scope="module")
def reference():
    return np.ascontiguousarray(SyntheticFaces(96, 1, seed=3).image(0)[:, :, ::-1])  # BGR


def test_like_generates_with_the_references_landmarks(generator_artifact, reference):
    with Generator(generator_artifact) as generator, Detector(generator_artifact) as detector:
        result = generator.like(reference, n=3, seed=1)
        found = detector(reference)
    assert result.images.shape == (3, 48, 48, 3) and result.images.dtype == np.uint8
    assert result.latent.shape == (3, 8) and result.reference.shape == (48, 48, 3)
    np.testing.assert_allclose(result.landmarks, found.normalized)
    assert result.box == found.box


def test_the_same_seed_gives_the_same_images(generator_artifact, reference):
    with Generator(generator_artifact) as generator:
        a, b = (generator.like(reference, n=2, seed=7).images for _ in range(2))
        c = generator.like(reference, n=2, seed=8).images
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_generate_takes_one_or_several_landmark_sets(generator_artifact):
    points = np.full((8, 2), 0.5, np.float32)
    with Generator(generator_artifact) as generator:
        assert generator.generate(points, n=2, seed=0).shape == (2, 48, 48, 3)
        assert generator.generate(np.stack([points, points]), n=3).shape == (2, 3, 48, 48, 3)


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda g: g.generate(np.zeros((3, 2))), InputError, "landmarks has shape"),
        (lambda g: g.generate(np.full((8, 2), np.nan)), InputError, "NaN"),
        (lambda g: g.generate(np.zeros((8, 2)), n=0), InputError, "number of images"),
        (lambda g: g.generate(np.zeros((8, 2)), n=2.5), InputError, "number of images"),
        (lambda g: g.generate(np.zeros((8, 2)), seed=-1), InputError, "seed"),
        (lambda g: g.generate(np.zeros((8, 2)), latent=np.zeros((2, 3))), InputError, "latent has shape"),
        (lambda g: g.like(None), ImageError, "None"),
        (lambda g: g.like("face.jpg"), ImageError, "not an image array"),
        (lambda g: g.like(np.zeros((40, 50, 3), np.uint8), box=Box(60, 0, 9, 9)), InputError, "wholly outside"),
    ],
)
def test_bad_inputs_are_one_line_errors(generator_artifact, call, error, message):
    with Generator(generator_artifact) as generator, pytest.raises(error, match=message):
        call(generator)


def test_an_artifact_without_a_generator_says_how_to_get_one(artifact):
    with pytest.raises(ArtifactError, match=r"no generator.*train-generator"):
        Generator(artifact, source="generator")


def test_an_artifact_without_a_generator_draws_with_its_prior_and_decoder(artifact, reference):
    with Generator(artifact) as generator, Detector(artifact) as detector:
        assert generator.source == "prior" and generator.latent_dim == read_manifest(artifact).prior["latent_dim"]
        result = generator.like(reference, n=3, seed=1)
        again = generator.like(reference, n=3, seed=1).images
        found = detector(reference)
    assert result.images.shape == (3, 48, 48, 3) and result.images.dtype == np.uint8
    assert result.latent.shape == (3, generator.latent_dim)
    np.testing.assert_allclose(result.landmarks, found.normalized)
    assert np.array_equal(result.images, again)
    with CodePrior(artifact) as prior, Decoder(artifact) as decoder:
        expected = decoder(
            np.repeat(found.normalized[None], 3, 0), prior(np.repeat(found.normalized[None], 3, 0), result.latent)
        )
    assert np.array_equal(result.images, expected)


def test_the_temperature_scales_the_draws(artifact, reference):
    with Generator(artifact) as generator:
        np.testing.assert_allclose(generator.latents(4, seed=2, temperature=0.5), 0.5 * generator.latents(4, seed=2))
        typical = generator.like(reference, n=4, seed=2, temperature=1e-6).images  # the conditional mean, 4 times
        varied = generator.like(reference, n=4, seed=2).images
    assert np.abs(typical.astype(int) - typical[:1]).max() <= 1
    assert np.abs(varied.astype(int) - varied[:1]).max() > 1


def test_a_generator_artifact_draws_with_either_source(generator_artifact, reference):
    with Generator(generator_artifact) as trained, Generator(generator_artifact, source="prior") as prior:
        assert (trained.source, prior.source) == ("generator", "prior")
        assert trained.latent_dim == 8 and prior.latent_dim == read_manifest(generator_artifact).prior["latent_dim"]
        a = trained.like(reference, n=2, seed=0)
        b = prior.like(reference, n=2, seed=0)
    np.testing.assert_allclose(a.landmarks, b.landmarks)
    assert not np.array_equal(a.images, b.images)


def test_sources_are_checked(artifact, priorless_artifact):
    with pytest.raises(ConfigError, match="source 'gan'"):
        Generator(artifact, source="gan")
    with pytest.raises(ArtifactError, match=r"has no prior \(re-export"):
        Generator(priorless_artifact, source="prior")
    with pytest.raises(ArtifactError, match="neither a generator nor a prior"):
        Generator(priorless_artifact)
    with Generator(artifact) as generator:
        for bad in (0, -1.0, float("nan"), float("inf"), True, "1"):
            with pytest.raises(InputError, match="temperature"):
                generator.latents(2, temperature=bad)
