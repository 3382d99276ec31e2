"""BEGAN: an autoencoder discriminator and its equilibrium controller (Berthelot et al. 2017).

The discriminator ``D`` is an autoencoder; its *energy* ``L(x) = mean |x - D(x)|`` is low on images it
has learnt to reconstruct. It learns to reconstruct real images and not generated ones, the generator
learns to make images it reconstructs well:

    L_D = L(x) - k_t L(G(z))          L_G = L(G(z))
    k_{t+1} = clip(k_t + lambda_k (gamma L(x) - L(G(z))), 0, 1)

``gamma = E[L(G(z))] / E[L(x)]`` is the equilibrium the controller holds (lower: sharper, less diverse);
``M_global = L(x) + |gamma L(x) - L(G(z))|`` falls as training converges. The paper's landmark-conditioned
generator (App. G.5) and ``lmsdk sharpen`` both use this discriminator on crops.

Images are ``(B, 3, S, S)`` RGB in ``[0, 1]`` (S: the crop side; any S >= 8).
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import NamedTuple

import torch.nn.functional as F
from torch import Tensor, nn

from lmsdk.configio import from_dict, to_dict
from lmsdk.errors import ConfigError

MIN_SIDE = 8  # the encoder halves the image until its side is at most this


@dataclass(frozen=True)
class BeganConfig:
    """The BEGAN discriminator and controller as values (saved as JSON beside the run that uses them).

    ``gamma``: the diversity ratio in (0, 1]; ``lambda_k``: the controller's gain (>= 0); ``width``: the
    channels of the first conv level (level i has ``width * (i + 1)``, as in BEGAN); ``hidden``: the
    bottleneck's size; ``lr``: the discriminator's Adam learning rate.
    """

    gamma: float = 0.5
    lambda_k: float = 1e-3
    width: int = 32
    hidden: int = 64
    lr: float = 1e-4

    def __post_init__(self) -> None:
        if not 0.0 < self.gamma <= 1.0:
            raise ConfigError(f"BEGAN gamma must be in (0, 1], got {self.gamma}")
        if not (self.lambda_k >= 0.0 and math.isfinite(self.lambda_k)):
            raise ConfigError(f"BEGAN lambda_k must be a finite number >= 0, got {self.lambda_k}")
        if self.width < 1 or self.hidden < 1:
            raise ConfigError(f"BEGAN width and hidden must be >= 1, got {self.width} and {self.hidden}")
        if not (self.lr > 0.0 and math.isfinite(self.lr)):
            raise ConfigError(f"BEGAN lr must be a finite number > 0, got {self.lr}")

    def to_dict(self) -> dict[str, float | int]:
        return to_dict(self)

    @classmethod
    def from_dict(cls, data: object) -> BeganConfig:
        return from_dict(cls, data, "began")


class BeganLosses(NamedTuple):
    """One BEGAN step's losses and energies (the energies are batch means, detached, for the controller)."""

    d_loss: Tensor  # scalar: L(x) - k L(G(z)), the fake detached; gradients reach only the discriminator
    g_loss: Tensor  # scalar: L(G(z)); gradients reach only the generator (the discriminator is frozen in it)
    real_energy: float  # L(x)
    fake_energy: float  # L(G(z))


def _block(in_ch: int, out_ch: int) -> nn.Sequential:
    """Two 3x3 convs with ELU (BEGAN's unit; no normalisation)."""
    return nn.Sequential(
        nn.Conv2d(in_ch, out_ch, 3, padding=1), nn.ELU(), nn.Conv2d(out_ch, out_ch, 3, padding=1), nn.ELU()
    )


def level_sides(crop_size: int) -> list[int]:
    """The sides of the discriminator's levels: ``crop_size`` halved (rounding up) until at most 8."""
    if crop_size < MIN_SIDE:
        raise ConfigError(f"a BEGAN discriminator needs crops of at least {MIN_SIDE} px, got {crop_size}")
    sides = [crop_size]
    while sides[-1] > MIN_SIDE:
        sides.append(math.ceil(sides[-1] / 2))
    return sides


class BeganDiscriminator(nn.Module):
    """BEGAN's autoencoder: conv encoder -> ``hidden``-dim code -> conv decoder (nearest upsampling).

    The encoder has one level per side of :func:`level_sides` (``width * (i + 1)`` channels at level i),
    downsampling by stride-2 convs; the decoder mirrors it with ``width`` channels, upsampling to the
    encoder's exact sides, so any crop side works.
    """

    def __init__(self, crop_size: int, width: int = 32, hidden: int = 64) -> None:
        super().__init__()
        if width < 1 or hidden < 1:
            raise ConfigError(f"BEGAN width and hidden must be >= 1, got {width} and {hidden}")
        self.crop_size = crop_size
        self.sides = level_sides(crop_size)
        levels = len(self.sides)
        widths = [width * (i + 1) for i in range(levels)]
        self.stem = nn.Sequential(nn.Conv2d(3, width, 3, padding=1), nn.ELU())
        self.down = nn.ModuleList()
        ch = width
        for i, w in enumerate(widths):
            block = _block(ch, w)
            if i + 1 < levels:
                block.append(nn.Conv2d(w, widths[i + 1], 3, stride=2, padding=1))
                block.append(nn.ELU())
            self.down.append(block)
            ch = widths[i + 1] if i + 1 < levels else w
        bottom = self.sides[-1]
        self.to_code = nn.Linear(ch * bottom * bottom, hidden)
        self.from_code = nn.Linear(hidden, width * bottom * bottom)
        self.width = width
        self.up = nn.ModuleList(_block(width, width) for _ in range(levels))
        self.to_rgb = nn.Conv2d(width, 3, 3, padding=1)

    def encode(self, images: Tensor) -> Tensor:
        """Codes ``(B, hidden)`` of images ``(B, 3, S, S)``."""
        x = self.stem(images)
        for block in self.down:
            x = block(x)
        return self.to_code(x.flatten(1))

    def decode(self, code: Tensor) -> Tensor:
        """Images ``(B, 3, S, S)`` (unbounded; near ``[0, 1]`` once trained) from codes ``(B, hidden)``."""
        bottom = self.sides[-1]
        x = self.from_code(code).view(-1, self.width, bottom, bottom)
        for i, block in enumerate(self.up):
            x = block(x)
            side = self.sides[-2 - i] if i + 1 < len(self.up) else None
            if side is not None:
                x = F.interpolate(x, size=(side, side), mode="nearest")
        return self.to_rgb(x)

    def forward(self, images: Tensor) -> Tensor:
        """The reconstruction ``(B, 3, S, S)`` of images ``(B, 3, S, S)`` in ``[0, 1]``."""
        return self.decode(self.encode(images))

    def energy(self, images: Tensor) -> Tensor:
        """``(B,)``: each image's mean L1 reconstruction error (over channels and pixels)."""
        return (self(images) - images).abs().mean(dim=(1, 2, 3))


@contextlib.contextmanager
def frozen(module: nn.Module) -> Iterator[None]:
    """Within the block ``module``'s parameters need no gradient (graphs built there do not reach them)."""
    flags = [p.requires_grad for p in module.parameters()]
    for p in module.parameters():
        p.requires_grad_(False)
    try:
        yield
    finally:
        for p, flag in zip(module.parameters(), flags, strict=True):
            p.requires_grad_(flag)


def began_losses(disc: BeganDiscriminator, real: Tensor, fake: Tensor, k: float) -> BeganLosses:
    """BEGAN's discriminator and generator losses for real and generated images ``(B, 3, S, S)`` in [0, 1].

    ``d_loss`` sees ``fake`` detached (its gradients reach only ``disc``); ``g_loss`` is computed through a
    frozen ``disc`` (its gradients reach only whatever produced ``fake``), so one backward of
    ``d_loss + g_loss`` fills each network's gradients with its own loss's.
    """
    real_energy = disc.energy(real).mean()
    fake_energy_d = disc.energy(fake.detach()).mean()
    with frozen(disc):
        g_loss = disc.energy(fake).mean()
    d_loss = real_energy - k * fake_energy_d
    return BeganLosses(d_loss, g_loss, float(real_energy.detach()), float(fake_energy_d.detach()))


def update_k(k: float, gamma: float, lambda_k: float, real_energy: float, fake_energy: float) -> float:
    """The equilibrium controller: ``clip(k + lambda_k (gamma L(x) - L(G(z))), 0, 1)``.

    ``k`` rises while the fakes are reconstructed better than ``gamma`` times the reals (the discriminator
    then pushes them away harder) and falls otherwise.
    """
    return float(min(1.0, max(0.0, k + lambda_k * (gamma * float(real_energy) - float(fake_energy)))))


def convergence(real_energy: float, fake_energy: float, gamma: float) -> float:
    """BEGAN's global convergence measure ``M = L(x) + |gamma L(x) - L(G(z))|`` (lower is better)."""
    real = float(real_energy)
    return real + abs(gamma * real - float(fake_energy))
