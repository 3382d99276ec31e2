"""Fine-tuning: discovery that starts from a trained model (``lmsdk train --init SOURCE``), e.g. AFLW from CelebA."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import torch
from torch import Tensor

from lmsdk.trainer.config import TrainConfig
from lmsdk.trainer.sources import load_source
from lmsdk.trainer.stage import Loss, Networks, StepContext, settings_of
from lmsdk.trainer.stages.discovery import Discovery
from lmsdk.trainer.step import AugmentedBatch, FramePair


@dataclass(frozen=True)
class FineTuneConfig:
    """Start from the weights of ``source``: a run directory or a model folder of the same preset, landmark count
    and image size."""

    source: str
    kind: Literal["finetune"] = "finetune"


class FineTuning:
    """Discovery's steps, samples and export on a model loaded from :attr:`FineTuneConfig.source`."""

    Config = FineTuneConfig

    def __init__(self, config: TrainConfig) -> None:
        self.settings = settings_of(config, FineTuneConfig)
        self.discovery = Discovery(config)

    def build(self, device: torch.device) -> Networks:
        nets = self.discovery.build(device)
        load_source(nets.core, self.settings.source)  # nothing frozen: every weight trains
        return nets

    def loss(self, nets: Networks, crops: Tensor, pair: FramePair | None, at: StepContext) -> Loss:
        return self.discovery.loss(nets, crops, pair, at)

    def statistics_forward(self, nets: Networks, batch: AugmentedBatch, at: StepContext) -> None:
        self.discovery.statistics_forward(nets, batch, at)

    def sample(self, nets: Networks, crops: Tensor) -> np.ndarray:
        return self.discovery.sample(nets, crops)

    def export(self, nets: Networks, folder: Path) -> None:
        self.discovery.export(nets, folder)
