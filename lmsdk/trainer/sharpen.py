"""Sharpening: fine-tune a trained run's decoder so that images are sharp and follow the landmarks
(``lmsdk sharpen RUN --out RUN2``).

The paper trains its decoder with an L2 (perceptual) reconstruction loss alone; the images it draws are
soft and, on a young model, hardly move when a landmark is moved (the decoder leans on the descriptors).
Sharpening loads the run's whole autoencoder, freezes the landmark detector (eval mode: its exact BatchNorm
statistics) and trains the decoder (and optionally the descriptor encoder) with the terms of
:class:`~lmsdk.trainer.config.SharpenConfig`: an L1 reconstruction, BEGAN's adversarial term against an
autoencoder discriminator trained alongside on real crops (:mod:`lmsdk.model.began`), the gradient difference of
reconstructions and crops (their edges), and an
edit-consistency (cyclic) term: decode with randomly moved landmarks, re-detect with the frozen detector,
L1 to where the landmarks were sent. The result is a run directory like any other (``lmsdk export RUN2``);
its detector is the source run's, bit for bit.

Coordinates: landmarks are normalised ``(x, y)`` in the crop frame; moves and the cycle error are stated
in crop pixels (S = the model's crop side).
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
from lmsdk.model.autoencoder import LandmarkAutoencoder
from lmsdk.model.began import BeganDiscriminator, began_losses, convergence, update_k
from lmsdk.model.checkpoint import load_model
from lmsdk.ops.coords import normalized_to_pixels
from lmsdk.ops.images import tensor_to_images
from lmsdk.trainer.config import ScheduleConfig, SharpenConfig, TrainConfig, stage_config
from lmsdk.trainer.losses import gradient_difference_loss
from lmsdk.trainer.monitor import Monitor
from lmsdk.trainer.run import Run
from lmsdk.trainer.rundir import MODEL_DIR, finished_run_config
from lmsdk.trainer.samples import sample_sheet
from lmsdk.trainer.step import AugmentedBatch, FramePair, StepResult
from lmsdk.viz import draw_landmarks, tile, write_image

logger = logging.getLogger(__name__)

SHARPEN_TERMS = ("reconstruction", "adversarial", "gradient", "cycle")
_DISC, _DISC_OPT, _K = "disc.", "disc_opt.", "began.k"


def sharpen_config(
    source: str | Path,
    *,
    steps: int = 2000,
    max_minutes: float | None = None,
    batch_size: int = 16,
    sharpen: SharpenConfig | None = None,
    **overrides: Any,
) -> TrainConfig:
    """The training config of a sharpening: the source run's data, crops and model, fp32 and eager, a warm-up
    + cosine learning rate from 2e-4 to 2e-5 sized to ``steps`` (or ``max_minutes``), and ``sharpen`` (default:
    :class:`SharpenConfig` with its default weights) pointing at ``source``."""
    source = Path(source)
    trained = finished_run_config(source, "to sharpen")
    if trained.model.lite is not None:
        raise ConfigError(f"{source}: is a distilled run; sharpen its teacher, then distil the sharpened run")
    schedule = ScheduleConfig.fine_tuning(2e-4, 2e-5, warmup=0.05)
    config = stage_config(
        trained,
        schedule,
        sharpen=dataclasses.replace(sharpen or SharpenConfig(source=""), source=str(source)),
        steps=steps,
        max_minutes=max_minutes,
        batch_size=batch_size,
        precision="fp32",
        compile=False,
        bn_batches=min(trained.bn_batches, 50),
        eval_every=0,
        eval_images=0,
        checkpoint_every=250,
        sample_every=250,
    )
    return config.replace(**overrides)


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


class SharpenRun(Run):
    """A run whose trainable part is the decoder (and descriptor encoder), judged by a BEGAN discriminator and
    by the frozen detector of the run it starts from."""

    def prepare_core(self) -> None:
        cfg = self.config.sharpen
        assert cfg is not None
        trained = load_model(Path(cfg.source) / MODEL_DIR)
        if trained.config != self.config.model:
            raise ConfigError(f"{cfg.source}: its model differs from the one this sharpening was set up with")
        self.core.load_state_dict(trained.state_dict())
        tuned = ("decoder.", "encoder.") if cfg.train_descriptors else ("decoder.",)
        for name, p in self.core.named_parameters():
            p.requires_grad_(name.startswith(tuned))
        self.core.eval()
        self.k = 0.0
        self.disc: BeganDiscriminator | None = None
        self._energies: tuple[float, float] | None = None
        if cfg.adversarial > 0:
            b = cfg.began
            self.disc = BeganDiscriminator(self.config.model.crop_size, b.width, b.hidden).to(self.device)
            self.disc_optimizer = torch.optim.Adam(self.disc.parameters(), lr=b.lr, betas=(0.5, 0.999))

    def trained_module(self) -> nn.Module:
        parts = nn.ModuleDict({"decoder": self.core.decoder})
        if self.sharpen.train_descriptors and self.core.encoder is not None:
            parts["encoder"] = self.core.encoder
        return parts

    def parameter_groups(self) -> list[dict[str, Any]]:
        return [{"params": list(self.trainable.parameters()), "lr_scale": 1.0}]

    @property
    def sharpen(self) -> SharpenConfig:
        assert self.config.sharpen is not None
        return self.config.sharpen

    # -- the step ---------------------------------------------------------------------------------------------
    def decode_with_moves(self, crops: Tensor, generator: torch.Generator) -> tuple[Tensor, Tensor]:
        """Decode ``(B, 3, S, S)`` crops, the first ``ceil(B / 2)`` from their detected landmarks (reconstructions)
        and the rest from randomly moved ones (edits). Returns the decoded ``(B, 3, S, S)`` images and the
        landmarks ``(B, K, 2)`` each was decoded from. The detector runs in eval mode without gradients."""
        core, cfg = self.core, self.sharpen
        core.detector.eval()
        if core.encoder is not None and not cfg.train_descriptors:
            core.encoder.eval()
        padded = core.pad(crops)
        with torch.no_grad():
            detection = core.detector(padded)
        descriptors = None
        if core.encoder is not None:
            with torch.set_grad_enabled(cfg.train_descriptors and torch.is_grad_enabled()):
                descriptors = core.encoder(padded, detection.probs)
        points = detection.points
        n_recon = reconstructed_count(len(crops))
        moved = random_moves(points[n_recon:], cfg.move_px / crops.shape[-1], cfg.move_chance, generator)
        targets = torch.cat([points[:n_recon], moved])
        return core.decoder(targets, descriptors), targets

    def forward_step(self, crops: Tensor, pair: FramePair | None, step: int, generator: torch.Generator) -> StepResult:
        cfg, core = self.sharpen, self.core
        b, side = crops.shape[0], crops.shape[-1]
        n = reconstructed_count(b)
        self.trainable.train()
        decoded, targets = self.decode_with_moves(crops, generator)
        terms: dict[str, Tensor] = {"reconstruction": (decoded[:n] - crops[:n]).abs().mean()}
        zero = decoded.new_zeros(())
        terms["gradient"] = gradient_difference_loss(decoded[:n], crops[:n]) if cfg.gradient > 0 else zero
        if cfg.cycle > 0:
            redetected = core.detector(core.pad(decoded[n:])).points  # frozen: gradients reach only the images
            terms["cycle"] = ((redetected - targets[n:]).abs().sum(-1) * side).mean()
        else:
            terms["cycle"] = zero
        weights = {name: getattr(cfg, name) for name in SHARPEN_TERMS}
        if self.disc is not None:
            began = began_losses(self.disc, crops, decoded, self.k)
            terms["adversarial"] = began.g_loss
            # d_loss reaches only the discriminator (the fakes are detached), so one backward serves both.
            terms["discriminator"] = began.d_loss
            weights["discriminator"] = 1.0
            self._energies = (began.real_energy, began.fake_energy)
        else:
            terms["adversarial"] = zero
        loss = sum(weights[name] * terms[name] for name in terms)
        batch = AugmentedBatch(crops, crops, None, side, core.config.padded_size)  # type: ignore[arg-type]
        return StepResult(loss, terms, weights, batch, None)  # type: ignore[arg-type]

    def step(self) -> dict[str, Any]:
        """The decoder's step (:meth:`Run.step`), then the discriminator's and the equilibrium controller's."""
        if self.disc is None:
            return super().step()
        self.disc_optimizer.zero_grad(set_to_none=True)  # a budget dry-run may have left gradients
        metrics = super().step()
        self.disc_optimizer.step()
        assert self._energies is not None
        real, fake = self._energies
        gamma = self.sharpen.began.gamma
        self.k = update_k(self.k, gamma, self.sharpen.began.lambda_k, real, fake)
        metrics.update(
            {
                "began/k": self.k,
                "began/convergence": convergence(real, fake, gamma),
                "began/real_energy": real,
                "began/fake_energy": fake,
            }
        )
        return metrics

    def statistics_forward(self, batch: AugmentedBatch) -> None:
        generator = torch.Generator().manual_seed(self.state.step)
        self.decode_with_moves(batch.targets, generator)

    # -- what a checkpoint keeps besides the model ---------------------------------------------------------------
    def extra_state(self) -> dict[str, Tensor]:
        if self.disc is None:
            return {}
        tensors = {_DISC + name: value for name, value in self.disc.state_dict().items()}
        for index, slots in self.disc_optimizer.state_dict()["state"].items():
            for name, value in slots.items():
                tensors[f"{_DISC_OPT}{index}.{name}"] = torch.as_tensor(value)
        tensors[_K] = torch.tensor(self.k, dtype=torch.float64)
        return tensors

    def load_extra_state(self, tensors: dict[str, Tensor]) -> None:
        if self.disc is None:
            return
        disc = {k[len(_DISC) :]: v for k, v in tensors.items() if k.startswith(_DISC)}
        if _K not in tensors or not disc:
            raise CheckpointError("the checkpoint has no BEGAN discriminator state (extra.safetensors)")
        try:
            self.disc.load_state_dict(disc)
        except RuntimeError:
            raise CheckpointError("the checkpoint's discriminator does not match this run's BEGAN config") from None
        slots: dict[int, dict[str, Tensor]] = {}
        for key, value in tensors.items():
            if key.startswith(_DISC_OPT):
                index, name = key[len(_DISC_OPT) :].split(".", 1)
                slots.setdefault(int(index), {})[name] = value
        groups = self.disc_optimizer.state_dict()["param_groups"]
        self.disc_optimizer.load_state_dict({"state": slots, "param_groups": groups})
        self.k = float(tensors[_K])

    # -- samples ------------------------------------------------------------------------------------------------
    def _write_sample(self, monitor: Monitor) -> None:
        rows = sample_sheet(self.core, self.sample_crops)[:-2]  # input, reconstruction, maps; then the edits
        sheet = np.concatenate([rows, edit_row(self.core, self.sample_crops)])
        write_image(str(self.run_dir / "samples" / f"step_{self.state.step:06d}.png"), sheet)
        monitor.image("samples", sheet, self.state.step)


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
