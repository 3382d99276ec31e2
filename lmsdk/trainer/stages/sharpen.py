"""Sharpening: fine-tune a trained run's decoder so that images are sharp and follow the landmarks
(``lmsdk sharpen RUN --out RUN2``).

The paper trains its decoder with an L2 (perceptual) reconstruction loss alone; the images it draws are
soft and, on a young model, hardly move when a landmark is moved (the decoder leans on the descriptors).
Sharpening loads the run's whole autoencoder, freezes the landmark detector (eval mode: its exact BatchNorm
statistics) and trains the decoder (and optionally the descriptor encoder) with the terms of
:class:`SharpenConfig`. The result is a run directory like any other (``lmsdk export RUN2``); its detector is the
source run's, bit for bit. What each term does to the images, measured: docs/editing.md, docs/results.md.

Coordinates: landmarks are normalised ``(x, y)`` in the crop frame; moves and the cycle error are stated
in crop pixels (S = the model's crop side).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import torch
from torch import Tensor, nn

from lmsdk.errors import ConfigError
from lmsdk.model.autoencoder import LandmarkAutoencoder
from lmsdk.model.began import BeganConfig
from lmsdk.ops.coords import normalized_to_pixels
from lmsdk.ops.images import tensor_to_images
from lmsdk.trainer.balance import BeganBalance
from lmsdk.trainer.config import ScheduleConfig, TrainConfig
from lmsdk.trainer.losses import gradient_difference_loss, weighted_sum
from lmsdk.trainer.samples import sample_sheet
from lmsdk.trainer.sources import load_source
from lmsdk.trainer.stage import FineTuningSetup, Loss, Networks, StepContext, settings_of
from lmsdk.trainer.step import AugmentedBatch, FramePair
from lmsdk.viz import draw_landmarks, tile

SHARPEN_TERMS = ("reconstruction", "adversarial", "gradient", "cycle")


@dataclass(frozen=True)
class SharpenConfig:
    """Fine-tuning of the decoder of the run ``source`` for sharper, landmark-faithful images.

    The run's detector stays frozen (eval mode); the decoder (and the descriptor encoder when
    ``train_descriptors``) learns from four terms, weighted here. Half of each batch is decoded from its own
    landmarks (reconstructions), the other half from moved ones (edits):

    - ``reconstruction``: mean L1 between each crop and its reconstruction (per channel and pixel);
    - ``adversarial``: BEGAN's generator loss ``L(G)`` on reconstructions and edits, against a BEGAN
      discriminator (``began``) trained on real crops alongside, with its equilibrium controller;
    - ``gradient``: the gradient difference loss (mean L1 between the image gradients of each crop and its
      reconstruction, :func:`~lmsdk.trainer.losses.gradient_difference_loss`);
    - ``cycle``: edit consistency: the landmarks are moved at random (each with chance ``move_chance``, at
      least one per image, by up to ``move_px`` crop pixels), decoded, re-detected by the frozen detector, and
      the mean L1 distance (crop pixels, ``|dx| + |dy|``) of every re-detected landmark to where it was sent
      is the loss.
    """

    source: str
    # The L1 term must outweigh the cycle term, or the decoder draws whatever the detector reads most easily
    # instead of the input's colours (docs/editing.md, "the reconstruction weight").
    reconstruction: float = 20.0
    adversarial: float = 1.0
    gradient: float = 2.0
    cycle: float = 3.0
    move_px: float = 8.0
    move_chance: float = 0.3
    train_descriptors: bool = True  # edits follow the landmarks further with the descriptors tuned too
    # gamma 1 and a faster controller: decoded images start easy for the discriminator to autoencode, and at
    # BEGAN's gamma 0.5 k would stay 0 (docs/results.md, "BEGAN's controller put to work").
    began: BeganConfig = field(default_factory=lambda: BeganConfig(gamma=1.0, lambda_k=0.02, width=16))
    kind: Literal["sharpen"] = "sharpen"

    def __post_init__(self) -> None:
        weights = {name: getattr(self, name) for name in SHARPEN_TERMS}
        if any(not w >= 0 for w in weights.values()) or not any(weights.values()):
            raise ConfigError(f"sharpen weights must be >= 0 and not all 0, got {weights}")
        if not self.move_px > 0 or not 0 < self.move_chance <= 1:
            raise ConfigError(
                f"sharpen moves need move_px > 0 and move_chance in (0, 1], got {self.move_px} and {self.move_chance}"
            )


class Sharpening:
    """Trains the decoder (and descriptor encoder) against a BEGAN discriminator and the frozen detector."""

    Config = SharpenConfig
    steps, batch_size = 2000, 16
    keeps_source_speed = False  # fp32 and eager: what the BEGAN terms were measured with
    moves_landmarks = False  # the detector is frozen

    def __init__(self, config: TrainConfig) -> None:
        self.config, self.settings = config, settings_of(config, SharpenConfig)

    @classmethod
    def setup(cls, source: TrainConfig, settings: SharpenConfig) -> FineTuningSetup:
        if source.model.lite is not None:
            raise ConfigError(
                f"{settings.source}: is a distilled run; sharpen its teacher, then distil the sharpened run"
            )
        return FineTuningSetup(
            schedule=ScheduleConfig.fine_tuning(2e-4, 2e-5, warmup=0.05),
            model=source.model,
        )

    def build(self, device: torch.device) -> Networks:
        s = self.settings
        core = LandmarkAutoencoder(self.config.model).to(device)
        load_source(core, s.source, trained=("decoder.", "encoder.") if s.train_descriptors else ("decoder.",))
        balance = None
        if s.adversarial > 0:
            balance = BeganBalance(s.began, self.config.model.crop_size).to(device)
        trained = nn.ModuleDict({"decoder": core.decoder})
        if s.train_descriptors and core.encoder is not None:
            trained["encoder"] = core.encoder
        groups = [{"params": list(trained.parameters()), "lr_scale": 1.0}]
        return Networks(core, trained, groups, balance=balance, single_process=True)

    def loss(self, nets: Networks, crops: Tensor, pair: FramePair | None, at: StepContext) -> Loss:
        s, core = self.settings, nets.core
        b, side = crops.shape[0], crops.shape[-1]
        n = reconstructed_count(b)
        nets.trained.train()
        with at.autocast():
            decoded, targets = self.decode_with_moves(core, crops, at.generator)
        terms: dict[str, Tensor] = {"reconstruction": (decoded[:n] - crops[:n]).abs().mean()}
        zero = decoded.new_zeros(())
        terms["gradient"] = gradient_difference_loss(decoded[:n], crops[:n]) if s.gradient > 0 else zero
        if s.cycle > 0:
            redetected = core.detector(core.pad(decoded[n:])).points  # frozen: gradients reach only the images
            terms["cycle"] = ((redetected - targets[n:]).abs().sum(-1) * side).mean()
        else:
            terms["cycle"] = zero
        weights = {name: getattr(s, name) for name in SHARPEN_TERMS}
        if nets.balance is not None:
            began = nets.balance.losses(crops, decoded)
            terms["adversarial"] = began.g_loss
            # d_loss reaches only the discriminator (the fakes are detached), so one backward serves both.
            terms["discriminator"] = began.d_loss
            weights["discriminator"] = 1.0
        else:
            terms["adversarial"] = zero
        return Loss(weighted_sum(terms, weights), terms, side, {"weight/reconstruction": s.reconstruction})

    def decode_with_moves(
        self, core: LandmarkAutoencoder, crops: Tensor, generator: torch.Generator
    ) -> tuple[Tensor, Tensor]:
        """Decode ``(B, 3, S, S)`` crops, the first ``ceil(B / 2)`` from their detected landmarks (reconstructions)
        and the rest from randomly moved ones (edits). Returns the decoded ``(B, 3, S, S)`` images and the
        landmarks ``(B, K, 2)`` each was decoded from. The detector runs in eval mode without gradients."""
        s = self.settings
        core.detector.eval()
        if core.encoder is not None and not s.train_descriptors:
            core.encoder.eval()
        padded = core.pad(crops)
        with torch.no_grad():
            detection = core.detector(padded)
        descriptors = None
        if core.encoder is not None:
            with torch.set_grad_enabled(s.train_descriptors and torch.is_grad_enabled()):
                descriptors = core.encoder(padded, detection.probs)
        points = detection.points
        n_recon = reconstructed_count(len(crops))
        moved = random_moves(points[n_recon:], s.move_px / crops.shape[-1], s.move_chance, generator)
        targets = torch.cat([points[:n_recon], moved])
        return core.decoder(targets, descriptors), targets

    def statistics_forward(self, nets: Networks, batch: AugmentedBatch, at: StepContext) -> None:
        self.decode_with_moves(nets.core, batch.targets, torch.Generator().manual_seed(at.step))

    def sample(self, nets: Networks, crops: Tensor) -> np.ndarray:
        """Discovery's sheet (inputs, reconstructions, maps), then a row of edits (:func:`edit_row`)."""
        rows = sample_sheet(nets.core, crops)
        return np.concatenate([rows[:-SHEET_PAD], edit_row(nets.core, crops)])

    def export(self, nets: Networks, folder: Path) -> None:
        """Nothing besides the landmark model (the discriminator only trained it)."""


SHEET_PAD = 2  # the white margin below a sheet's last row (viz.tile's pad); the edit row brings its own


def reconstructed_count(batch: int) -> int:
    """How many images of a sharpening batch are decoded from their own landmarks (the rest are edits)."""
    return (batch + 1) // 2


def random_moves(points: Tensor, max_move: float, chance: float, generator: torch.Generator) -> Tensor:
    """Landmarks ``(B, K, 2)`` with some moved: each with probability ``chance`` (at least one per image), by a
    vector of uniformly random direction and length in ``[0, max_move]`` (normalised units). Drawn on the CPU
    from ``generator`` (reproducible on any device)."""
    b, k, _ = points.shape
    picked = torch.rand(b, k, generator=generator) < chance
    picked[torch.arange(b), torch.randint(k, (b,), generator=generator)] = True
    angle = torch.rand(b, k, generator=generator) * (2 * np.pi)
    length = torch.rand(b, k, generator=generator) * max_move * picked
    shift = torch.stack([angle.cos(), angle.sin()], dim=-1) * length.unsqueeze(-1)
    return points + shift.to(points.device, points.dtype)


@torch.no_grad()
def edit_row(model: LandmarkAutoencoder, crops: Tensor, move_px: float = 6.0, tile_size: int = 128) -> np.ndarray:
    """One row of edits for a sample sheet: crop i decoded with landmark ``i mod K`` moved ``move_px`` crop pixels
    right, drawn with the landmarks it was decoded from (RGB uint8, the layout of :func:`sample_sheet`'s rows)."""
    was_training = model.training
    model.eval()
    try:
        enc = model.encode(crops)
        moved = enc.points.clone()
        index = torch.arange(len(crops)) % moved.shape[1]
        moved[torch.arange(len(crops)), index, 0] += move_px / crops.shape[-1]
        edits = model.decode(moved, enc.descriptors)
    finally:
        model.train(was_training)
    up = torch.nn.functional.interpolate(edits.float().cpu(), size=(tile_size, tile_size), mode="nearest")
    points = normalized_to_pixels(moved.float(), tile_size, tile_size).cpu().numpy()
    tiles = [draw_landmarks(im, p) for im, p in zip(tensor_to_images(up), points, strict=True)]
    return tile(tiles, columns=len(crops))
