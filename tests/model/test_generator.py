"""The landmark-conditioned generator (App. G.5): shapes, range, its widths as values, and that it sees the
landmarks; the BEGAN discriminator at the crop sides the generator presets use."""

import pytest
import torch

from lmsdk.errors import ConfigError
from lmsdk.model.began import BeganDiscriminator
from lmsdk.model.generator import GENERATOR_PRESETS, GeneratorSpec, LandmarkGenerator
from lmsdk.model.presets import MODEL_PRESETS


@pytest.mark.parametrize("preset", ["tiny", "cpu"])
def test_generator_and_discriminator_shapes(preset):
    model, spec = MODEL_PRESETS[preset], GENERATOR_PRESETS[preset]
    generator = LandmarkGenerator(model, spec)
    landmarks = torch.rand(3, model.num_landmarks, 2)
    images = generator(landmarks, torch.randn(3, spec.latent_dim))
    s = model.crop_size
    assert images.shape == (3, 3, s, s)
    assert images.min() > 0 and images.max() < 1  # a sigmoid: RGB in (0, 1)
    disc = BeganDiscriminator(s, width=4, hidden=8)
    assert disc(images).shape == (3, 3, s, s) and disc.energy(images).shape == (3,)


def test_the_generator_sees_the_latent_and_the_landmarks():
    model, spec = MODEL_PRESETS["tiny"], GENERATOR_PRESETS["tiny"]
    generator = LandmarkGenerator(model, spec).eval()
    landmarks, latent = torch.rand(2, model.num_landmarks, 2), torch.randn(2, spec.latent_dim)
    with torch.no_grad():
        base = generator(landmarks, latent)
        other_latent = generator(landmarks, torch.randn(2, spec.latent_dim))
        moved = generator(landmarks.roll(1, dims=1), latent)
    assert (base - other_latent).abs().max() > 1e-4
    assert (base - moved).abs().max() > 1e-4


def test_the_landmarks_are_rendered_as_the_decoders_maps():
    from lmsdk.model import LandmarkAutoencoder

    model = MODEL_PRESETS["tiny"]
    generator = LandmarkGenerator(model, GENERATOR_PRESETS["tiny"])
    decoder = LandmarkAutoencoder(model).decoder
    points = torch.rand(2, model.num_landmarks, 2)
    maps = torch.cat(decoder.heatmaps(points, model.crop_size), dim=1)
    assert torch.equal(generator.render(points, model.crop_size), maps)


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"latent_widths": (16, 12)}, "last widths must agree"),
        ({"decoder_widths": (8,)}, "one decoder stage per landmark stage"),
        ({"latent_dim": 0}, "latent_dim"),
    ],
)
def test_spec_refuses_widths_that_cannot_work(changes, message):
    with pytest.raises(ConfigError, match=message):
        GENERATOR_PRESETS["tiny"].replace(**changes)


def test_a_crop_that_does_not_halve_evenly_is_refused():
    with pytest.raises(ConfigError, match="halve evenly"):
        spec = GeneratorSpec(latent_widths=(16, 8, 8), landmark_widths=(8, 8, 8), decoder_widths=(8, 8, 8))
        LandmarkGenerator(MODEL_PRESETS["tiny"], spec)  # 48 px would have to halve 32 x


def test_spec_round_trips_through_json():
    spec = GENERATOR_PRESETS["cpu"]
    assert GeneratorSpec.from_dict(spec.to_dict()) == spec
