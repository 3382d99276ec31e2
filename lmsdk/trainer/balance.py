"""BEGAN's side of a training stage, written once: the discriminator, its optimizer, the equilibrium term ``k``
and the energies (Berthelot et al. 2017; :mod:`lmsdk.model.began` has the networks and the formulas).

Sharpening and generation both train against a :class:`BeganBalance`. The stage computes
:meth:`BeganBalance.losses` inside its step and adds ``d_loss`` (which reaches only the discriminator) and
``g_loss`` to its own loss, so one backward fills both players' gradients; the loop then steps the run's
optimizer and :meth:`BeganBalance.step`, which steps the discriminator's Adam and updates ``k``. ``k`` is a buffer
of the module, so a checkpoint keeps it with the discriminator's weights (the checkpoint code saves the module and
the optimizer like any other).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from lmsdk.model.began import BeganConfig, BeganDiscriminator, BeganLosses, began_losses, convergence, update_k

BETAS = (0.5, 0.999)  # BEGAN's Adam


class BeganBalance(nn.Module):
    """A BEGAN discriminator on ``crop_size`` crops with its Adam and equilibrium controller.

    The discriminator learns at ``config.lr``, or, with ``lr_scale``, at the run's scheduled learning rate times
    ``lr_scale`` (the two players then follow one schedule).
    """

    k: Tensor

    def __init__(self, config: BeganConfig, crop_size: int, lr_scale: float | None = None) -> None:
        super().__init__()
        self.config, self.lr_scale = config, lr_scale
        self.disc = BeganDiscriminator(crop_size, config.width, config.hidden)
        self.register_buffer("k", torch.zeros((), dtype=torch.float64))
        self.optimizer = torch.optim.Adam(self.disc.parameters(), lr=config.lr, betas=BETAS)
        self._energies: tuple[float, float] | None = None

    def losses(self, real: Tensor, fake: Tensor) -> BeganLosses:
        """BEGAN's losses for real and generated ``(B, 3, S, S)`` images at the current ``k`` (see
        :func:`~lmsdk.model.began.began_losses`); the energies are kept for :meth:`step`."""
        result = began_losses(self.disc, real, fake, float(self.k))
        self._energies = (result.real_energy, result.fake_energy)
        return result

    def step(self, run_lr: float) -> dict[str, float]:
        """Step the discriminator (after the backward of a loss holding this step's :meth:`losses`) and the
        controller; returns BEGAN's figures of the step (``began/k`` after the update)."""
        if self._energies is None:
            raise RuntimeError("BeganBalance.step before losses: the stage's step did not use its balance")
        lr = self.config.lr if self.lr_scale is None else run_lr * self.lr_scale
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        self.optimizer.step()
        real, fake = self._energies
        self._energies = None
        gamma = self.config.gamma
        self.k.fill_(update_k(float(self.k), gamma, self.config.lambda_k, real, fake))
        return {
            "began/k": float(self.k),
            "began/convergence": convergence(real, fake, gamma),
            "began/real_energy": real,
            "began/fake_energy": fake,
        }
