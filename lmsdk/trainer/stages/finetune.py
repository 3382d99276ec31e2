"""Fine-tuning: discovery that starts from a trained model (``lmsdk train --init SOURCE``), e.g. AFLW from CelebA.

Landmark k must stay landmark k: the named points and whatever a user built on the numbering depend on it. Besides
discovery's terms, the fine-tuned model's landmarks on each batch are held to the started-from model's landmarks on
the same images (:func:`~lmsdk.trainer.losses.identity_loss`, weight ``keep_landmarks``): the frozen source model
keeps detecting beside the trained copy.
"""

from __future__ import annotations

import math
from copy import deepcopy
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import torch
from torch import Tensor, nn

from lmsdk.errors import ConfigError
from lmsdk.model.detector import LandmarkDetector
from lmsdk.trainer.config import TrainConfig
from lmsdk.trainer.losses import identity_loss
from lmsdk.trainer.sources import load_source
from lmsdk.trainer.stage import Loss, Networks, StepContext, settings_of
from lmsdk.trainer.stages.discovery import Discovery, discovery_loss
from lmsdk.trainer.step import AugmentedBatch, FramePair

# The identity term's weight, in the equivariance term's units (a tenth of the face presets' 1e4). Measured on MTFL's
# two halves (docs/models.md, "Fine-tuning keeps the landmarks").
KEEP_LANDMARKS = 1e3


@dataclass(frozen=True)
class FineTuneConfig:
    """Start from the weights of ``source``: a run directory or a model folder of the same preset, landmark count
    and image size. ``keep_landmarks`` weighs the identity term (0: off), the squared distance between the trained
    model's landmark k and the source model's landmark k on the same crops, in the equivariance term's units."""

    source: str
    keep_landmarks: float = KEEP_LANDMARKS
    kind: Literal["finetune"] = "finetune"

    def __post_init__(self) -> None:
        if not (math.isfinite(self.keep_landmarks) and self.keep_landmarks >= 0):
            raise ConfigError(f"--keep-landmarks must be a finite number >= 0, got {self.keep_landmarks}")


def frozen_copy(detector: LandmarkDetector) -> LandmarkDetector:
    """A copy of ``detector`` that never trains: no gradients, and BatchNorm layers that normalise with each batch's
    statistics without updating their running ones (the copy's buffers stay the source's)."""
    copy = deepcopy(detector).requires_grad_(False)
    for module in copy.modules():
        if isinstance(module, nn.modules.batchnorm._BatchNorm):
            module.track_running_stats = False
    return copy


class FineTuning:
    """Discovery's steps, samples and export on a model loaded from :attr:`FineTuneConfig.source`, with the
    identity term against the source's frozen detector (``Networks.kept["source"]``) when ``keep_landmarks > 0``."""

    Config = FineTuneConfig

    def __init__(self, config: TrainConfig) -> None:
        self.settings = settings_of(config, FineTuneConfig)
        self.discovery = Discovery(config)

    def build(self, device: torch.device) -> Networks:
        nets = self.discovery.build(device)
        load_source(nets.core, self.settings.source)  # nothing frozen: every weight trains
        if self.settings.keep_landmarks > 0:
            nets.kept["source"] = frozen_copy(nets.core.detector)
        return nets

    def loss(self, nets: Networks, crops: Tensor, pair: FramePair | None, at: StepContext) -> Loss:
        result = self.discovery.step(nets, crops, pair, at)
        loss = discovery_loss(result)
        weight = self.settings.keep_landmarks
        if weight == 0:
            return loss
        source = nets.kept["source"]
        assert isinstance(source, LandmarkDetector)  # built with keep_landmarks > 0
        b, crop, padded = crops.shape[0], result.batch.crop_size, result.batch.padded_size
        # The whole batch with batch statistics, as the trained model saw it: at the first step both give the same
        # points (up to the compiled forward's rounding), so the term measures the weights' drift alone.
        source.train()
        with torch.no_grad(), at.autocast():
            kept = source(result.batch.inputs, crop).points[:b].float()
        identity = identity_loss(result.output.encoding.points[:b].float(), kept, crop, padded)
        terms = {**loss.terms, "identity": identity}
        return Loss(loss.total + weight * identity, terms, loss.crop, loss.logged)

    def statistics_forward(self, nets: Networks, batch: AugmentedBatch, at: StepContext) -> None:
        self.discovery.statistics_forward(nets, batch, at)

    def sample(self, nets: Networks, crops: Tensor) -> np.ndarray:
        return self.discovery.sample(nets, crops)

    def export(self, nets: Networks, folder: Path) -> None:
        self.discovery.export(nets, folder)
