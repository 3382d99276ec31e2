"""Landmark-conditioned generation (paper Sec. 4.4, App. G.5): ``lmsdk train-generator RUN --out GEN_RUN``.

The trained run's landmark model is loaded and frozen (eval mode: its exact BatchNorm statistics) and detects
the landmarks of every training crop (the run's own data and crops). A :class:`~lmsdk.model.generator.
LandmarkGenerator` maps those landmarks and an isotropic Gaussian latent to an image; a BEGAN discriminator
(:mod:`lmsdk.model.began`, an autoencoder as the energy) judges it against the crop, with its equilibrium
controller ``k``; and the frozen detector detects landmarks on the generated image, whose L1 distance to the
condition is the cyclic loss (App. G.5), which reaches the generator through the frozen detector.

The two players fit the run pattern as one optimizer with two parameter groups (``generator`` and
``discriminator``, each with its learning rate and BEGAN's Adam betas): :func:`~lmsdk.model.began.began_losses`
makes each loss reach only its own network, so one backward of ``L_D + L_G + lambda_cyc L_cyc`` and one Adam
step update both simultaneously, as BEGAN's reference does. The generator and discriminator weights travel in
the checkpoints' extra state, ``k`` in the training state, so ``--resume`` continues exactly. The finished
``GEN_RUN/model/`` is the landmark model plus the generator (:mod:`lmsdk.model.generator_io`); ``lmsdk export``
writes it with ``generator.onnx``.
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from lmsdk.errors import CheckpointError, ConfigError
from lmsdk.model.began import BeganConfig, BeganDiscriminator, began_losses, convergence, update_k
from lmsdk.model.checkpoint import load_model
from lmsdk.model.generator import GENERATOR_PRESETS, LandmarkGenerator
from lmsdk.model.generator_io import save_generator
from lmsdk.ops.coords import normalized_to_pixels
from lmsdk.ops.images import tensor_to_images
from lmsdk.trainer.config import GenerationConfig, ScheduleConfig, TrainConfig, stage_config
from lmsdk.trainer.run import Run
from lmsdk.trainer.rundir import MODEL_DIR, finished_run_config
from lmsdk.trainer.step import AugmentedBatch, FramePair, StepResult
from lmsdk.viz import draw_landmarks, tile, write_image

logger = logging.getLogger(__name__)

BETAS = (0.5, 0.999)  # BEGAN's Adam
# The discriminator that goes with each generator preset. For `cpu` BEGAN's widths are halved (16): at 32 the
# discriminator's three passes per step cost about twice the generator's on a 2-core CPU.
DISCRIMINATORS: dict[str, BeganConfig] = {"cpu": BeganConfig(width=16), "tiny": BeganConfig(width=4, hidden=8)}
SAMPLE_LATENTS = 3  # generations per reference in the sample sheets


def cyclic_loss(detected: Tensor, condition: Tensor) -> Tensor:
    """L1 distance between landmarks detected on generated images and their condition, both ``(B, K, 2)``
    normalised (x, y) in the crop: ``sum |dx| + |dy|`` per landmark, averaged over landmarks and images."""
    return (detected.float() - condition.float()).abs().sum(-1).mean()


def generation_config(
    source: str | Path,
    preset: str = "cpu",
    *,
    steps: int = 20_000,
    max_minutes: float | None = None,
    batch_size: int = 16,
    cyclic: float | None = None,
    lr: float | None = None,
    **overrides: Any,
) -> TrainConfig:
    """The config of a generator run on the finished run ``source``: its data, crops and landmark model, the
    generator preset ``preset`` (:data:`~lmsdk.model.generator.GENERATOR_PRESETS`), BEGAN's defaults and a
    cosine learning rate from ``lr`` (default BEGAN's 1e-4, for both players) to a tenth of it, sized to
    ``steps`` (or to ``max_minutes``)."""
    source = Path(source)
    if preset not in GENERATOR_PRESETS:
        raise ConfigError(f"unknown generator preset {preset!r}; choose one of: {', '.join(GENERATOR_PRESETS)}")
    trained = finished_run_config(source, "to condition on")
    if trained.generation is not None:
        raise ConfigError(f"{source}: is itself a generator run; train from its source run instead")
    began = DISCRIMINATORS.get(preset, BeganConfig())
    if lr is not None:
        began = dataclasses.replace(began, lr=lr)
    spec = GENERATOR_PRESETS[preset]
    spec.check(trained.model.crop_size)
    generation = GenerationConfig(source=str(source), generator=spec, began=began)
    if cyclic is not None:
        generation = dataclasses.replace(generation, cyclic=cyclic)
    schedule = ScheduleConfig.fine_tuning(began.lr, began.lr / 10)
    config = stage_config(
        trained,
        schedule,
        generation=generation,
        steps=steps,
        max_minutes=max_minutes,
        batch_size=batch_size,
        precision="fp32",
        compile=False,
        bn_batches=0,  # no BatchNorm to refresh: the generator and discriminator have none, the detector is frozen
        eval_every=0,
        eval_images=0,
        checkpoint_every=500,
        sample_every=250,
    )
    return config.replace(**overrides)


class GeneratorRun(Run):
    """A run that trains a generator and a BEGAN discriminator around the frozen landmark model :attr:`core`."""

    def prepare_core(self) -> None:
        gen = self.config.generation
        assert gen is not None
        if self.info.enabled:
            raise ConfigError("train-generator runs in one process; start it without torchrun")
        source = load_model(Path(gen.source) / MODEL_DIR)
        if source.config != self.config.model:
            raise ConfigError(f"{gen.source}: its model differs from the one this generator run was set up with")
        self.core.load_state_dict(source.state_dict())
        self.core.requires_grad_(False)
        self.core.eval()
        model = self.config.model
        self.generator = LandmarkGenerator(model, gen.generator).to(self.device)
        self.discriminator = BeganDiscriminator(model.crop_size, gen.began.width, gen.began.hidden).to(self.device)
        sample = torch.Generator().manual_seed(self.config.seed + 1)
        self.sample_latents = torch.randn(SAMPLE_LATENTS, gen.generator.latent_dim, generator=sample).to(self.device)

    def trained_module(self) -> nn.Module:
        return nn.ModuleDict({"generator": self.generator, "discriminator": self.discriminator})

    def parameter_groups(self) -> list[dict[str, Any]]:
        gen = self.config.generation
        assert gen is not None
        d_scale = gen.began.lr / self.config.schedule.learning_rates[0]
        return [
            {"params": list(self.generator.parameters()), "lr_scale": 1.0, "betas": BETAS, "name": "generator"},
            {
                "params": list(self.discriminator.parameters()),
                "lr_scale": d_scale,
                "betas": BETAS,
                "name": "discriminator",
            },
        ]

    @property
    def k(self) -> float:
        """BEGAN's equilibrium term, kept in the training state (so in every checkpoint)."""
        return float(self.state.extra.get("k", 0.0))

    def forward_step(self, crops: Tensor, pair: FramePair | None, step: int, generator: torch.Generator) -> StepResult:
        gen = self.config.generation
        assert gen is not None
        self.core.eval()  # the loop puts the core back in train mode after its events; the detector stays frozen
        self.trainable.train()
        with torch.no_grad():
            condition = self.core.detect(crops).points.float()  # (B, K, 2) normalised crop frame
        latent = torch.randn(crops.shape[0], gen.generator.latent_dim, generator=generator).to(crops.device)
        fake = self.generator(condition, latent)
        began = began_losses(self.discriminator, crops, fake, self.k)
        cyclic = cyclic_loss(self.core.detect(fake).points, condition)
        terms = {
            "discriminator": began.d_loss,
            "generator": began.g_loss,
            "cyclic": cyclic,
            "real_energy": torch.tensor(began.real_energy),
            "fake_energy": torch.tensor(began.fake_energy),
        }
        weights = {"discriminator": 1.0, "generator": 1.0, "cyclic": gen.cyclic}
        loss = began.d_loss + began.g_loss + gen.cyclic * cyclic
        s, p = self.config.model.crop_size, self.config.model.padded_size
        batch = AugmentedBatch(crops, crops, None, s, p)  # type: ignore[arg-type]
        return StepResult(loss, terms, weights, batch, None)  # type: ignore[arg-type]

    def step(self) -> dict[str, Any]:
        """One simultaneous step of both players, then BEGAN's controller update of ``k``."""
        gen = self.config.generation
        assert gen is not None
        metrics = super().step()
        real, fake = metrics.pop("loss/real_energy"), metrics.pop("loss/fake_energy")
        self.state.extra["k"] = update_k(self.k, gen.began.gamma, gen.began.lambda_k, real, fake)
        metrics.update(
            {
                "began/real_energy": real,
                "began/fake_energy": fake,
                "began/k": self.k,
                "began/convergence": convergence(real, fake, gen.began.gamma),
            }
        )
        return metrics

    def extra_state(self) -> dict[str, Tensor]:
        return dict(self.trainable.state_dict())  # "generator.*" and "discriminator.*"

    def load_extra_state(self, tensors: dict[str, Tensor]) -> None:
        try:
            self.trainable.load_state_dict(tensors)
        except RuntimeError:
            raise CheckpointError("the checkpoint's generator and discriminator do not match this run's") from None

    def statistics_forward(self, batch: AugmentedBatch) -> None:
        """Nothing to do: no BatchNorm in the generator or discriminator."""

    def write_model(self, folder: Path) -> None:
        super().write_model(folder)
        save_generator(self.generator, folder)

    def _write_sample(self, monitor: Any) -> None:
        sheet = generation_sheet(self.core, self.generator, self.sample_crops, self.sample_latents)
        write_image(str(self.run_dir / "samples" / f"step_{self.state.step:06d}.png"), sheet)
        monitor.image("samples", sheet, self.state.step)


@torch.no_grad()
def generation_sheet(
    core: nn.Module, generator: LandmarkGenerator, crops: Tensor, latents: Tensor, tile_size: int = 128
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
