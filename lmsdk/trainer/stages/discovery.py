"""Discovery: the paper's training (``lmsdk train``): the whole landmark autoencoder from random weights."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

from lmsdk.model.autoencoder import LandmarkAutoencoder
from lmsdk.trainer.config import DiscoveryConfig, TrainConfig
from lmsdk.trainer.samples import sample_sheet
from lmsdk.trainer.stage import Loss, Networks, StepContext
from lmsdk.trainer.step import AugmentedBatch, FramePair, StepResult, training_step


class Discovery:
    """Trains the whole autoencoder (:func:`~lmsdk.trainer.step.training_step`: concentration, separation,
    equivariance, reconstruction)."""

    Config = DiscoveryConfig

    def __init__(self, config: TrainConfig) -> None:
        self.config = config

    def build(self, device: torch.device) -> Networks:
        core = LandmarkAutoencoder(self.config.model).to(device)
        return Networks(core, core, param_groups(core, self.config.head_lr_scale))

    def step(self, nets: Networks, crops: Tensor, pair: FramePair | None, at: StepContext) -> StepResult:
        """The training graph of one step (:func:`~lmsdk.trainer.step.training_step`) on ``crops``."""
        return training_step(at.forward, nets.core, crops, self.config, at.step, at.total, at.generator, pair)

    def loss(self, nets: Networks, crops: Tensor, pair: FramePair | None, at: StepContext) -> Loss:
        return discovery_loss(self.step(nets, crops, pair, at))

    def statistics_forward(self, nets: Networks, batch: AugmentedBatch, at: StepContext) -> None:
        nets.core(batch.inputs, batch.targets.shape[0])

    def sample(self, nets: Networks, crops: Tensor) -> np.ndarray:
        return sample_sheet(nets.core, crops)

    def export(self, nets: Networks, folder: Path) -> None:
        """Nothing besides the landmark model."""


def discovery_loss(result: StepResult) -> Loss:
    """The :class:`Loss` of a discovery step: its weighted total and terms, with the one scheduled weight logged."""
    logged = {"weight/reconstruction": result.weights["reconstruction"]}
    return Loss(result.loss, result.terms, result.batch.crop_size, logged)


def param_groups(core: LandmarkAutoencoder, head_lr_scale: float) -> list[dict[str, Any]]:
    """Adam's parameter groups: the detector's score-map scale and shift with their own learning-rate scale,
    everything else at the schedule's rate (``lr_scale`` 1)."""
    head = list(core.detector.head[1].parameters())
    ids = {id(p) for p in head}
    rest = [p for p in core.parameters() if id(p) not in ids]
    return [{"params": rest, "lr_scale": 1.0}, {"params": head, "lr_scale": head_lr_scale}]
