"""The prior over the autoencoder's codes: it recovers a known linear-Gaussian law, its module is its sampler."""

import numpy as np
import pytest
import torch

from lmsdk.data import SyntheticFaces
from lmsdk.errors import DataError
from lmsdk.model.autoencoder import LandmarkAutoencoder
from lmsdk.model.prior import DescriptorPrior, PriorFit, encode_crops, fit_prior

K, C, RANK = 3, 2, 2  # D = (K + 1) C = 8 descriptor numbers, of which the residual spans 2 directions


def _codes(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Codes drawn from y = m + A (x - 0.5) + B z with a known A (D, 2K) and B (D, RANK)."""
    rng = np.random.default_rng(seed)
    a = rng.normal(size=((K + 1) * C, 2 * K))
    b = 0.2 * rng.normal(size=((K + 1) * C, RANK))
    m = rng.normal(size=(K + 1) * C)
    x = 0.5 + 0.1 * rng.normal(size=(n, K, 2))
    y = m + (x - 0.5).reshape(n, -1) @ a.T + rng.normal(size=(n, RANK)) @ b.T
    return x, y.reshape(n, K + 1, C), a, b, m


def test_the_fit_recovers_the_regression_and_the_residual_law():
    x, y, a, b, _ = _codes(20000)
    fit = fit_prior(x, y)
    assert fit.latent_dim == RANK and fit.crops == 20000 and fit.variance_kept == pytest.approx(1.0)
    np.testing.assert_allclose(fit.regression, a, atol=0.08)  # its standard error: about 0.02
    np.testing.assert_allclose(fit.scale @ fit.scale.T, b @ b.T, atol=0.1 * np.abs(b @ b.T).max())
    # the landmarks explain their share: var(A x) / (var(A x) + var(B z)) with x's spread 0.1
    explained = (0.01 * (a**2).sum()) / (0.01 * (a**2).sum() + (b**2).sum())
    assert fit.explained == pytest.approx(explained, abs=0.02)


def test_samples_follow_the_conditional_law():
    x, y, a, b, m = _codes(5000)
    fit = fit_prior(x, y)
    condition = np.full((4000, K, 2), 0.6)
    noise = np.random.default_rng(1).standard_normal((4000, fit.latent_dim))
    samples = fit.sample(condition, noise).reshape(4000, -1)
    np.testing.assert_allclose(samples.mean(0), m + a @ np.full(2 * K, 0.1), atol=0.15)
    np.testing.assert_allclose(np.cov(samples.T), b @ b.T, atol=0.15 * np.abs(b @ b.T).max())


def test_the_latent_keeps_the_directions_that_hold_the_share_asked_for():
    rng = np.random.default_rng(2)
    x = rng.random((3000, K, 2))
    spread = np.array([10.0, 3.0, 1.0, 0.3, 0.1, 0.1, 0.1, 0.1])  # residual std per descriptor number
    y = (rng.normal(size=(3000, (K + 1) * C)) * spread).reshape(3000, K + 1, C)
    share = np.cumsum(spread**2) / (spread**2).sum()  # 0.91, 0.99, 0.999, ...
    assert fit_prior(x, y, variance_kept=0.9).latent_dim == 1
    assert fit_prior(x, y, variance_kept=0.995).latent_dim == int(np.argmax(share >= 0.995)) + 1 == 3
    assert fit_prior(x, y, variance_kept=1.0).latent_dim == 8


def test_the_module_is_the_fits_sampler():
    x, y, *_ = _codes(500)
    fit = fit_prior(x, y)
    prior = DescriptorPrior(fit)
    noise = np.random.default_rng(3).standard_normal((7, fit.latent_dim))
    with torch.no_grad():
        got = prior(torch.from_numpy(x[:7]).float(), torch.from_numpy(noise).float()).numpy()
    assert got.shape == (7, K + 1, C) and prior.latent_dim == RANK
    np.testing.assert_allclose(got, fit.sample(x[:7], noise), rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize(
    "landmarks, descriptors, message",
    [
        (np.zeros((1, K, 2)), np.zeros((1, K + 1, C)), "at least 2 crops"),
        (np.zeros((5, K, 2)), np.zeros((5, K, C)), r"\(N, K \+ 1, C\)"),
        (np.zeros((5, K, 3)), np.zeros((5, K + 1, C)), r"\(N, K, 2\)"),
        (np.full((5, K, 2), np.nan), np.zeros((5, K + 1, C)), "finite"),
    ],
)
def test_bad_codes_are_refused(landmarks, descriptors, message):
    with pytest.raises(DataError, match=message):
        fit_prior(landmarks, descriptors)


def test_constant_codes_give_a_prior_that_draws_them():
    fit = fit_prior(np.full((10, K, 2), 0.5), np.ones((10, K + 1, C)))
    assert isinstance(fit, PriorFit) and fit.latent_dim == 1
    np.testing.assert_allclose(fit.sample(np.full((2, K, 2), 0.3), np.ones((2, 1))), 1.0)


def test_encode_crops_gives_the_models_codes_and_keeps_its_mode(tiny_config):
    model = LandmarkAutoencoder(tiny_config.model).train()
    crops = SyntheticFaces(tiny_config.model.crop_size, 5, seed=4).images(range(5))
    points, codes = encode_crops(model, crops, batch_size=2)
    assert model.training
    model.eval()
    with torch.no_grad():
        expected = model.encode(torch.from_numpy(crops).permute(0, 3, 1, 2).float() / 255)
    np.testing.assert_allclose(points, expected.points.numpy(), atol=1e-5)
    np.testing.assert_allclose(codes, expected.descriptors.numpy(), atol=1e-4)


def test_a_model_without_descriptors_has_no_prior(tiny_config):
    model = LandmarkAutoencoder(tiny_config.model.replace(feature=None, descriptor_dim=0))
    with pytest.raises(DataError, match="no descriptors"):
        encode_crops(model, np.zeros((2, tiny_config.model.crop_size, tiny_config.model.crop_size, 3), np.uint8))
