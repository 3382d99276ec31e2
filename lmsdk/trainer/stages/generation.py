"""Landmark-conditioned generation (paper Sec. 4.4, App. G.5): ``lmsdk train-generator RUN --out GEN_RUN``.

The trained run's landmark model is loaded and frozen (eval mode: its exact BatchNorm statistics) and detects
the landmarks of every training crop (the run's own data and crops). A generator maps those landmarks and an
isotropic Gaussian latent to an image: by default the prior over the run's codes and a copy of its decoder
(:class:`~lmsdk.model.prior_generator.PriorDecoderGenerator`, whose decoder BEGAN then trains), or, with
``start_from="noise"``, a fresh :class:`~lmsdk.model.generator.LandmarkGenerator` as in the paper
(:mod:`lmsdk.trainer.stages.generation_start`). A BEGAN discriminator
(:class:`~lmsdk.trainer.balance.BeganBalance`) judges it against the crop; and the frozen detector detects
landmarks on the generated image, whose L1 distance to the condition is the cyclic loss (App. G.5), which reaches
the generator through the frozen detector. Started from the prior, the decoder also keeps reconstructing the real
crops from their own codes (``reconstruction``, mean L1): the anchor that keeps it drawing what the descriptors
say, where BEGAN alone drew one image for every latent (docs/generation.md). One backward of
``L_D + L_G + lambda_cyc L_cyc + lambda_rec L_rec`` serves both players (each loss reaches only its own network),
and both step together, as BEGAN's reference does. The finished
``GEN_RUN/model/`` is the landmark model plus the generator (:mod:`lmsdk.model.generator_io`); ``lmsdk export``
writes it with ``generator.onnx``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch
from torch import Tensor, nn

from lmsdk.errors import ConfigError
from lmsdk.model.autoencoder import LandmarkAutoencoder
from lmsdk.model.began import BeganConfig
from lmsdk.model.generator import GENERATOR_PRESETS, GeneratorSpec, LandmarkGenerator
from lmsdk.model.generator_io import ImageGenerator, save_generator
from lmsdk.model.prior_generator import PriorDecoderGenerator
from lmsdk.ops.coords import normalized_to_pixels
from lmsdk.ops.images import tensor_to_images
from lmsdk.trainer.balance import BETAS, BeganBalance
from lmsdk.trainer.config import ScheduleConfig, TrainConfig
from lmsdk.trainer.sources import load_source
from lmsdk.trainer.stage import FineTuningSetup, Loss, Networks, StepContext, settings_of
from lmsdk.trainer.stages.generation_start import STARTS, StartFrom, starting_generator
from lmsdk.trainer.step import AugmentedBatch, FramePair
from lmsdk.viz import draw_landmarks, tile

# The discriminator that goes with each generator preset: for `cpu` BEGAN's widths are halved, so that the
# discriminator's three passes per step do not cost the CPU more than the generator's.
DISCRIMINATORS: dict[str, BeganConfig] = {"cpu": BeganConfig(width=16), "tiny": BeganConfig(width=4, hidden=8)}
SAMPLE_LATENTS = 3  # generations per reference in the sample sheets
# BEGAN's controller from the prior, as `lmsdk sharpen` sets it: decoded faces start easy for the discriminator to
# autoencode (their energy under gamma 0.5 times the crops'), so at BEGAN's gamma 0.5 and lambda_k 1e-3 k stayed near
# 0 for 1,369 steps and the generator was free to draw whatever the discriminator autoencodes best (docs/generation.md).
FROM_PRIOR = {"gamma": 1.0, "lambda_k": 0.02}
# The reconstruction anchor's weight from the prior: the L1 of a 64 px crop is about 0.07, so 20 makes it above one,
# ten times BEGAN's generator energy, as `lmsdk sharpen` weighs it (docs/generation.md).
RECONSTRUCTION = 20.0


@dataclass(frozen=True)
class GenerationConfig:
    """A generator conditioned on the landmarks of the run ``source``, trained against a BEGAN discriminator
    (``began``) with the L1 cyclic loss between the landmarks detected on the generations and the condition
    (normalised crop units) weighted by ``cyclic``. Both players learn at ``began.lr``, cosine-decayed to a tenth.
    BEGAN starts from ``start_from``: ``"prior"``, the prior over the source's codes and its decoder, or
    ``"noise"``, a fresh generator of widths ``generator`` (:mod:`lmsdk.trainer.stages.generation_start`).

    ``reconstruction`` weighs the mean L1 (per channel and pixel) between each training crop and the decoder's
    image of the crop's own landmarks and descriptors (the frozen encoder's), the anchor that keeps a decoder
    started from the prior drawing its codes. ``None`` resolves to :data:`RECONSTRUCTION` from the prior and to 0
    from noise (a fresh generator has no codes to reconstruct from, so a weight above 0 is refused there).

    ``began`` is taken as given; :meth:`preset` (what ``lmsdk train-generator`` builds) sets its controller to
    :data:`FROM_PRIOR` when BEGAN starts from the prior."""

    source: str
    generator: GeneratorSpec = field(default_factory=GeneratorSpec)
    began: BeganConfig = field(default_factory=BeganConfig)
    cyclic: float = 10.0
    start_from: StartFrom = "prior"
    reconstruction: float | None = None
    kind: Literal["generate"] = "generate"

    def __post_init__(self) -> None:
        if not self.cyclic >= 0:
            raise ConfigError(f"the cyclic loss weight must be >= 0, got {self.cyclic}")
        if self.start_from not in STARTS:
            raise ConfigError(f"start from {self.start_from!r}: one of {', '.join(STARTS)}")
        if self.reconstruction is None:
            object.__setattr__(self, "reconstruction", RECONSTRUCTION if self.start_from == "prior" else 0.0)
        elif not self.reconstruction >= 0:
            raise ConfigError(f"the reconstruction weight must be >= 0, got {self.reconstruction}")
        elif self.start_from == "noise" and self.reconstruction > 0:
            raise ConfigError(
                "a generator started from noise has no codes to reconstruct crops from: --reconstruction 0"
            )

    @property
    def reconstruction_weight(self) -> float:
        """``reconstruction`` as resolved (never ``None`` after construction)."""
        assert self.reconstruction is not None  # resolved in __post_init__
        return self.reconstruction

    @classmethod
    def preset(
        cls,
        source: str,
        name: str = "cpu",
        *,
        cyclic: float | None = None,
        lr: float | None = None,
        start_from: str | None = None,
        reconstruction: float | None = None,
    ) -> GenerationConfig:
        """The generator preset ``name`` (:data:`~lmsdk.model.generator.GENERATOR_PRESETS`) with its discriminator
        (its controller at :data:`FROM_PRIOR` when BEGAN starts from the prior), and the options a command may
        change."""
        if name not in GENERATOR_PRESETS:
            raise ConfigError(f"unknown generator preset {name!r}; choose one of: {', '.join(GENERATOR_PRESETS)}")
        began = DISCRIMINATORS.get(name, BeganConfig())
        if (start_from or "prior") == "prior":
            began = dataclasses.replace(began, **FROM_PRIOR)
        if lr is not None:
            began = dataclasses.replace(began, lr=lr)
        changes: dict[str, Any] = {"cyclic": cyclic, "start_from": start_from, "reconstruction": reconstruction}
        given = {k: v for k, v in changes.items() if v is not None}
        return cls(source=source, generator=GENERATOR_PRESETS[name], began=began, **given)


class Generation:
    """Trains a generator and a BEGAN discriminator around the frozen landmark model."""

    Config = GenerationConfig
    steps, batch_size = 20_000, 16
    keeps_source_speed = False  # fp32 and eager: what BEGAN was measured with
    moves_landmarks = False  # the landmark model is frozen

    def __init__(self, config: TrainConfig) -> None:
        self.config, self.settings = config, settings_of(config, GenerationConfig)

    @classmethod
    def setup(cls, source: TrainConfig, settings: GenerationConfig) -> FineTuningSetup:
        if isinstance(source.stage, GenerationConfig):
            raise ConfigError(f"{settings.source}: is itself a generator run; train from its source run instead")
        if settings.start_from == "prior" and not source.model.has_descriptors:
            raise ConfigError(f"{settings.source}: its model has no descriptors, so no prior; start from noise")
        if settings.start_from == "noise":
            settings.generator.check(source.model.crop_size)
        lr = settings.began.lr
        return FineTuningSetup(
            schedule=ScheduleConfig.fine_tuning(lr, lr / 10),
            model=source.model,
        )

    def build(self, device: torch.device) -> Networks:
        s, model = self.settings, self.config.model
        core = LandmarkAutoencoder(model)
        load_source(core, s.source, trained=())
        generator = starting_generator(s.start_from, s.generator, core, self.config.data).to(device)
        core.to(device)
        # Both players follow the run's schedule: the discriminator at began.lr where the generator is at the
        # schedule's first rate.
        balance = BeganBalance(s.began, model.crop_size, s.began.lr / self.config.schedule.learning_rates[0])
        groups = [{"params": list(generator.parameters()), "lr_scale": 1.0, "betas": BETAS, "name": "generator"}]
        kept: dict[str, nn.Module] = {"generator": generator}
        return Networks(core, generator, groups, kept=kept, balance=balance.to(device), single_process=True)

    def loss(self, nets: Networks, crops: Tensor, pair: FramePair | None, at: StepContext) -> Loss:
        core, balance = nets.core, nets.balance
        assert balance is not None  # built with one
        core.eval()  # the loop puts the core back in train mode after its events; the detector stays frozen
        nets.trained.train()
        with torch.no_grad():
            condition = core.detect(crops).points.float()  # (B, K, 2) normalised crop frame
        latent = torch.randn(crops.shape[0], _generator(nets).latent_dim, generator=at.generator)
        with at.autocast():
            fake = at.forward(condition, latent.to(crops.device))
        began = balance.losses(crops, fake)
        cyclic = cyclic_loss(core.detect(fake).points, condition)
        terms = {"discriminator": began.d_loss, "generator": began.g_loss, "cyclic": cyclic}
        total = began.d_loss + began.g_loss + self.settings.cyclic * cyclic
        weight = self.settings.reconstruction_weight
        if weight > 0:
            terms["reconstruction"] = self._reconstruction(nets, crops, at)
            total = total + weight * terms["reconstruction"]
        return Loss(total, terms, self.config.model.crop_size)

    def _reconstruction(self, nets: Networks, crops: Tensor, at: StepContext) -> Tensor:
        """Mean L1 between ``crops (B, 3, S, S)`` and the trained decoder's image of their own codes (the frozen
        encoder's landmarks and descriptors)."""
        generator = _generator(nets)
        assert isinstance(generator, PriorDecoderGenerator)  # a weight above 0 only from the prior
        with torch.no_grad():
            code = nets.core.encode(crops)
        with at.autocast():
            drawn = generator.decoder(code.points.float(), code.descriptors.float())
        return (drawn.float() - crops.float()).abs().mean()

    def statistics_forward(self, nets: Networks, batch: AugmentedBatch, at: StepContext) -> None:
        """Never called: neither generator has BatchNorm that learns statistics (the prior-decoder's is frozen,
        :mod:`lmsdk.model.frozen_norm`)."""

    def sample(self, nets: Networks, crops: Tensor) -> np.ndarray:
        seeded = torch.Generator().manual_seed(self.config.seed + 1)
        latents = torch.randn(SAMPLE_LATENTS, _generator(nets).latent_dim, generator=seeded)
        return generation_sheet(nets.core, _generator(nets), crops, latents.to(crops.device))

    def export(self, nets: Networks, folder: Path) -> None:
        save_generator(_generator(nets), folder)


def _generator(nets: Networks) -> ImageGenerator:
    generator = nets.kept["generator"]
    assert isinstance(generator, LandmarkGenerator | PriorDecoderGenerator)  # built by Generation.build
    return generator


def cyclic_loss(detected: Tensor, condition: Tensor) -> Tensor:
    """L1 distance between landmarks detected on generated images and their condition, both ``(B, K, 2)``
    normalised (x, y) in the crop: ``sum |dx| + |dy|`` per landmark, averaged over landmarks and images."""
    return (detected.float() - condition.float()).abs().sum(-1).mean()


@torch.no_grad()
def generation_sheet(
    core: LandmarkAutoencoder, generator: nn.Module, crops: Tensor, latents: Tensor, tile_size: int = 128
) -> np.ndarray:
    """One column per reference crop ``(n, 3, S, S)``: the reference with its detected landmarks, then one
    generation per latent ``(m, Z)`` conditioned on them, with the landmarks the detector finds on it. RGB uint8."""
    was_training = generator.training
    generator.eval()
    try:
        condition = core.detect(crops).points.float()
        n, m = crops.shape[0], latents.shape[0]
        fakes = generator(condition.repeat(m, 1, 1), latents.repeat_interleave(n, 0))  # (m n, 3, S, S)
        found = core.detect(fakes).points.float()
    finally:
        generator.train(was_training)
    images = torch.cat([crops.float(), fakes])
    up = torch.nn.functional.interpolate(images.cpu(), size=(tile_size, tile_size), mode="nearest")
    points = normalized_to_pixels(torch.cat([condition, found]).cpu(), tile_size, tile_size).numpy()
    tiles = [draw_landmarks(im, p) for im, p in zip(tensor_to_images(up), points, strict=True)]
    return tile(tiles, columns=n)
