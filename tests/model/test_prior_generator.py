"""The prior and a run's decoder as one generator: it draws exactly what the two draw, its BatchNorm frozen to the
run's statistics in either mode; training it leaves the run's decoder alone; it saves and loads as a generator."""

import json

import numpy as np
import pytest
import torch
from torch import nn

from lmsdk.data import SyntheticFaces
from lmsdk.errors import CheckpointError, ConfigError
from lmsdk.model.autoencoder import LandmarkAutoencoder
from lmsdk.model.checkpoint import save_model
from lmsdk.model.frozen_norm import FrozenBatchNorm2d, freeze_batchnorm
from lmsdk.model.generator_io import describe_generator, load_generator, save_generator
from lmsdk.model.prior import DescriptorPrior, encode_crops, fit_prior
from lmsdk.model.prior_generator import PriorDecoderGenerator
from lmsdk.trainer.bn_stats import batchnorm_layers


def _model(config):
    """A fresh tiny model with BatchNorm statistics that are not the identity's."""
    model = LandmarkAutoencoder(config)
    rng = torch.Generator().manual_seed(1)
    for layer in batchnorm_layers(model):
        layer.running_mean.copy_(0.1 * torch.randn(layer.running_mean.shape, generator=rng))
        layer.running_var.copy_(0.5 + torch.rand(layer.running_var.shape, generator=rng))
    return model.eval()


@pytest.fixture(scope="module")
def made(tiny_config):
    model = _model(tiny_config.model)
    crops = SyntheticFaces(tiny_config.model.crop_size, 40, seed=3).images(range(40))
    return model, fit_prior(*encode_crops(model, crops))


def _draws(k: int, z: int, n: int = 5):
    rng = torch.Generator().manual_seed(2)
    return 0.2 + 0.6 * torch.rand(n, k, 2, generator=rng), torch.randn(n, z, generator=rng)


def test_frozen_batchnorm_is_the_eval_mode_layer_in_either_mode():
    layer = nn.BatchNorm2d(4, eps=1e-3)
    layer.running_mean.copy_(torch.tensor([0.1, -0.2, 0.3, 0.0]))
    layer.running_var.copy_(torch.tensor([0.5, 2.0, 1.0, 0.1]))
    layer.weight.data.copy_(torch.tensor([1.5, 0.5, -1.0, 2.0]))
    frozen = FrozenBatchNorm2d(layer.eval())
    x = torch.randn(3, 4, 5, 5)
    for mode in (True, False):
        assert torch.equal(frozen.train(mode)(x), layer(x))
    assert torch.equal(frozen.running_mean, layer.running_mean)  # a train-mode forward gathered nothing
    frozen(x).sum().backward()
    assert frozen.weight.grad is not None and frozen.bias.grad is not None
    wrapped = freeze_batchnorm(nn.Sequential(nn.Conv2d(3, 4, 1), nn.Sequential(layer)))
    assert not batchnorm_layers(wrapped) and isinstance(wrapped[1][0], FrozenBatchNorm2d)


def test_it_draws_exactly_what_the_prior_and_the_decoder_draw(made):
    model, fit = made
    generator = PriorDecoderGenerator(model.decoder, fit)
    points, latent = _draws(model.config.num_landmarks, fit.latent_dim)
    with torch.no_grad():
        expected = model.decoder(points, DescriptorPrior(fit)(points, latent))
        for mode in (True, False):  # BEGAN trains it in train mode: it still draws the same
            assert torch.equal(generator.train(mode)(points, latent), expected)
    assert generator.latent_dim == fit.latent_dim and not batchnorm_layers(generator)
    assert not [name for name, _ in generator.prior.named_parameters()]  # the prior's numbers are fixed


def test_training_it_changes_its_copy_of_the_decoder_not_the_runs(made):
    model, fit = made
    before = {k: v.clone() for k, v in model.state_dict().items()}
    generator = PriorDecoderGenerator(model.decoder, fit).train()
    prior = {k: v.clone() for k, v in generator.prior.state_dict().items()}
    optimizer = torch.optim.Adam(generator.parameters(), lr=1e-2)
    points, latent = _draws(model.config.num_landmarks, fit.latent_dim)
    generator(points, latent).mean().backward()
    optimizer.step()
    assert all(torch.equal(v, before[k]) for k, v in model.state_dict().items())
    moved = generator.decoder.state_dict()
    assert any(not torch.equal(moved[k], v) for k, v in model.decoder.state_dict().items() if k in moved)
    assert all(torch.equal(v, prior[k]) for k, v in generator.prior.state_dict().items())


def test_it_saves_and_loads_as_a_generator(made, tmp_path):
    model, fit = made
    generator = PriorDecoderGenerator(model.decoder, fit)
    save_model(model, tmp_path)
    save_generator(generator, tmp_path)
    loaded = load_generator(tmp_path)
    assert isinstance(loaded, PriorDecoderGenerator) and not loaded.training
    points, latent = _draws(model.config.num_landmarks, fit.latent_dim)
    with torch.no_grad():
        assert torch.equal(loaded(points, latent), generator.eval()(points, latent))
    info = describe_generator(loaded)
    assert info["architecture"] == "prior-decoder" and info["latent_dim"] == fit.latent_dim
    assert info["prior"] == {"crops": 40, "explained": fit.explained, "variance_kept": fit.variance_kept}


def test_a_model_without_descriptors_has_no_prior_generator(tiny_config):
    model = LandmarkAutoencoder(tiny_config.model.replace(feature=None, descriptor_dim=0))
    x, y = np.random.default_rng(0).random((5, 8, 2)), np.random.default_rng(1).random((5, 9, 2))
    with pytest.raises(ConfigError, match="no descriptors"):
        PriorDecoderGenerator(model.decoder, fit_prior(x, y))


def test_a_damaged_generator_config_is_one_error_naming_the_file(made, tiny_config, tmp_path):
    model, fit = made
    save_model(model, tmp_path)
    save_generator(PriorDecoderGenerator(model.decoder, fit), tmp_path)
    config = tmp_path / "generator_config.json"
    data = json.loads(config.read_text())
    config.write_text(json.dumps({**data, "prior": [1, 2]}))
    with pytest.raises(CheckpointError, match=r"generator_config.json: 'prior' must be an object"):
        load_generator(tmp_path)
    config.write_text(json.dumps(data))
    save_model(LandmarkAutoencoder(tiny_config.model.replace(feature=None, descriptor_dim=0)), tmp_path)
    with pytest.raises(ConfigError, match=r"generator_config.json: the model has no descriptors"):
        load_generator(tmp_path)
