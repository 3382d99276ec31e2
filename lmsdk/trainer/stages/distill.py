"""Distillation: a lite detector learns a trained run's landmarks (``lmsdk distill RUN --out LITE_RUN``).

The student (:class:`~lmsdk.model.lite.LiteDetector`) joins the teacher's autoencoder as its ``lite`` part; the
teacher's detector, descriptor encoder and decoder are loaded and frozen. Every step draws the run's own
training crops, colour jitter and random warps (originals and warped copies, as discovery does, so the
student learns equivariance from a teacher that has it), the teacher labels them in eval mode (its exact
BatchNorm statistics), and the student fits the teacher's landmarks and maps. ``lmsdk export LITE_RUN`` writes
the lite detector, with the teacher's encoder and decoder for editing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from lmsdk.errors import ConfigError
from lmsdk.model.autoencoder import LandmarkAutoencoder
from lmsdk.model.detector import Detection
from lmsdk.model.presets import LITE_PRESETS
from lmsdk.trainer.config import ScheduleConfig, TrainConfig
from lmsdk.trainer.losses import weighted_sum
from lmsdk.trainer.samples import sample_sheet
from lmsdk.trainer.sources import load_source
from lmsdk.trainer.stage import FineTuningSetup, Loss, Networks, StepContext, settings_of
from lmsdk.trainer.step import AugmentedBatch, FramePair, augment


@dataclass(frozen=True)
class DistillConfig:
    """Distil the detector of the run ``source`` into the lite detector ``arch`` (a name of
    :data:`~lmsdk.model.presets.LITE_PRESETS`).

    The student learns the teacher's landmarks (squared distance in crop pixels, weighted ``points``) and its
    landmark maps (KL divergence per pixel from the teacher's maps pooled to the student's resolution, which
    carries the confidences too; weighted ``maps``).
    """

    source: str
    arch: str = "lite-wide"
    points: float = 1.0
    maps: float = 1.0
    kind: Literal["distill"] = "distill"

    def __post_init__(self) -> None:
        if self.arch not in LITE_PRESETS:
            raise ConfigError(f"unknown lite architecture {self.arch!r}; choose one of: {', '.join(LITE_PRESETS)}")


class Distillation:
    """Trains the lite detector; the teacher around it is frozen."""

    Config = DistillConfig
    steps, batch_size = 3600, 32
    keeps_source_speed = True  # the student is a detector, like the teacher: the teacher's precision and compile
    moves_landmarks = True  # probed against labels as discovery is

    def __init__(self, config: TrainConfig) -> None:
        self.config, self.settings = config, settings_of(config, DistillConfig)

    @classmethod
    def setup(cls, source: TrainConfig, settings: DistillConfig) -> FineTuningSetup:
        if source.model.lite is not None:
            raise ConfigError(f"{settings.source}: is itself a distilled run; distil its teacher instead")
        return FineTuningSetup(
            schedule=ScheduleConfig.fine_tuning(3e-3, 3e-5, warmup=0.03),
            model=source.model.replace(lite=LITE_PRESETS[settings.arch]),
        )

    def build(self, device: torch.device) -> Networks:
        core = LandmarkAutoencoder(self.config.model).to(device)
        if core.lite is None:
            raise ConfigError("a distillation's model needs a lite detector (model.lite)")
        load_source(core, self.settings.source, trained=("lite.",))
        return Networks(core, core.lite, [{"params": list(core.lite.parameters()), "lr_scale": 1.0}])

    def loss(self, nets: Networks, crops: Tensor, pair: FramePair | None, at: StepContext) -> Loss:
        cfg, core = self.config, nets.core
        batch = augment(core, crops, cfg, at.step, at.total, at.generator)
        crop = None if batch.crop_size == cfg.model.crop_size else batch.crop_size
        with torch.no_grad():
            teacher: Detection = core.detector.eval()(batch.inputs, crop)
        nets.trained.train()
        with at.autocast():
            student: Detection = at.forward(batch.inputs, crop)
        terms = distillation_terms(student, teacher, batch.crop_size)
        weights = {"points": self.settings.points, "maps": self.settings.maps}
        return Loss(weighted_sum(terms, weights), terms, batch.crop_size)

    def statistics_forward(self, nets: Networks, batch: AugmentedBatch, at: StepContext) -> None:
        nets.trained(batch.inputs)

    def sample(self, nets: Networks, crops: Tensor) -> np.ndarray:
        return sample_sheet(nets.core, crops)

    def export(self, nets: Networks, folder: Path) -> None:
        """Nothing besides the landmark model (the lite detector is part of it)."""


def distillation_terms(student: Detection, teacher: Detection, crop_size: int) -> dict[str, Tensor]:
    """The student's squared landmark distance to the teacher in crop pixels (mean over landmarks and images),
    and the KL divergence of its maps from the teacher's, pooled to the student's side (mean over pixels)."""
    points = ((student.points.float() - teacher.points) * crop_size).square().sum(-1).mean()
    side = student.probs.shape[-1]
    target = F.adaptive_avg_pool2d(teacher.probs, side)  # still a distribution over K + 1 at every pixel
    log_student = torch.log(student.probs.float().clamp_min(1e-8))
    maps = (target * (torch.log(target.clamp_min(1e-8)) - log_student)).sum(1).mean()
    return {"points": points, "maps": maps}
