import pytest
import torch
from torch import nn

from lmsdk.errors import ConfigError
from lmsdk.model.began import (
    BeganConfig,
    BeganDiscriminator,
    began_losses,
    convergence,
    level_sides,
    update_k,
)


@pytest.mark.parametrize("side", [8, 28, 45, 64])
def test_discriminator_reconstructs_at_the_input_side(side):
    disc = BeganDiscriminator(side, width=4, hidden=8)
    images = torch.rand(3, 3, side, side)
    assert disc(images).shape == images.shape
    assert disc.encode(images).shape == (3, 8)
    energy = disc.energy(images)
    assert energy.shape == (3,)
    assert torch.allclose(energy[1], (disc(images[1:2]) - images[1:2]).abs().mean())


def test_levels_halve_to_eight_and_tiny_crops_are_refused():
    assert level_sides(64) == [64, 32, 16, 8]
    assert level_sides(45) == [45, 23, 12, 6]
    with pytest.raises(ConfigError, match="at least 8"):
        BeganDiscriminator(6)


def test_config_is_validated_and_round_trips():
    cfg = BeganConfig(gamma=0.7, lambda_k=2e-3)
    assert BeganConfig.from_dict(cfg.to_dict()) == cfg
    for bad in ({"gamma": 0.0}, {"gamma": 1.5}, {"lambda_k": -1.0}, {"width": 0}, {"lr": 0.0}):
        with pytest.raises(ConfigError):
            BeganConfig(**bad)
    with pytest.raises(ConfigError, match="unknown"):
        BeganConfig.from_dict({"gama": 0.5})


def test_k_moves_toward_equilibrium_and_stays_in_unit_interval():
    # Fakes reconstructed better than gamma * reals: k rises (the discriminator pushes them away harder).
    assert update_k(0.5, 0.5, 1e-2, real_energy=0.2, fake_energy=0.05) == pytest.approx(0.5 + 1e-2 * 0.05)
    # Fakes reconstructed worse: k falls.
    assert update_k(0.5, 0.5, 1e-2, real_energy=0.2, fake_energy=0.3) == pytest.approx(0.5 - 1e-2 * 0.2)
    assert update_k(0.999, 1.0, 1.0, real_energy=1.0, fake_energy=0.0) == 1.0
    assert update_k(0.001, 0.5, 1.0, real_energy=0.0, fake_energy=1.0) == 0.0
    assert update_k(0.3, 0.5, 0.0, real_energy=0.2, fake_energy=0.9) == 0.3


def test_convergence_is_real_energy_plus_equilibrium_gap():
    assert convergence(0.2, 0.1, 0.5) == pytest.approx(0.2)
    assert convergence(0.2, 0.3, 0.5) == pytest.approx(0.2 + 0.2)
    assert convergence(0.4, 0.0, 0.5) == pytest.approx(0.4 + 0.2)


def test_each_loss_reaches_only_its_own_network():
    torch.manual_seed(0)
    disc = BeganDiscriminator(16, width=4, hidden=8)
    generator = nn.Conv2d(3, 3, 3, padding=1)
    real = torch.rand(2, 3, 16, 16)
    fake = torch.sigmoid(generator(torch.rand(2, 3, 16, 16)))
    k = 0.3
    losses = began_losses(disc, real, fake, k)

    d_grads = torch.autograd.grad(losses.d_loss, [*disc.parameters()], allow_unused=True)
    assert all(g is not None for g in d_grads) and sum(g.abs().sum() for g in d_grads) > 0
    assert losses.d_loss.grad_fn is not None
    with pytest.raises(RuntimeError):  # the fake is detached in d_loss
        torch.autograd.grad(losses.d_loss, [*generator.parameters()])

    losses.g_loss.backward()
    assert generator.weight.grad is not None and generator.weight.grad.abs().sum() > 0
    assert all(p.grad is None for p in disc.parameters())  # the discriminator was frozen in g_loss
    assert all(p.requires_grad for p in disc.parameters())  # ... and is trainable again afterwards

    with torch.no_grad():
        real_e = disc.energy(real).mean().item()
        fake_e = disc.energy(fake).mean().item()
    assert losses.real_energy == pytest.approx(real_e, rel=1e-5)
    assert losses.fake_energy == pytest.approx(fake_e, rel=1e-5)
    assert losses.d_loss.item() == pytest.approx(real_e - k * fake_e, rel=1e-5)
    assert losses.g_loss.item() == pytest.approx(fake_e, rel=1e-5)


def test_discriminator_learns_to_reconstruct():
    torch.manual_seed(0)
    disc = BeganDiscriminator(16, width=8, hidden=16)
    images = torch.rand(4, 3, 1, 1).expand(4, 3, 16, 16).contiguous()  # flat colours: easy to reconstruct
    opt = torch.optim.Adam(disc.parameters(), lr=1e-3)
    first = disc.energy(images).mean().item()
    for _ in range(60):
        opt.zero_grad()
        disc.energy(images).mean().backward()
        opt.step()
    assert disc.energy(images).mean().item() < 0.5 * first
