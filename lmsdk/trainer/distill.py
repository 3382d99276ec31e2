"""Distillation: a lite detector learns a trained run's landmarks (``lmsdk distill RUN --out LITE_RUN``).

The student (:class:`~lmsdk.model.lite.LiteDetector`) joins the teacher's autoencoder as its ``lite`` part; the
teacher's detector, descriptor encoder and decoder are loaded and frozen. Every step draws the run's own
training crops, colour jitter and random warps (originals and warped copies, as discovery does, so the
student learns equivariance from a teacher that has it), the teacher labels them in eval mode (its exact
BatchNorm statistics), and the student fits the teacher's landmarks and maps. The result is a run directory
like any other: ``lmsdk export LITE_RUN`` writes the lite detector, with the teacher's encoder and decoder
for editing.
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from lmsdk.errors import ConfigError
from lmsdk.model.checkpoint import load_model
from lmsdk.model.detector import Detection
from lmsdk.model.presets import LITE_PRESETS
from lmsdk.trainer.config import DistillConfig, ScheduleConfig, TrainConfig, stage_config
from lmsdk.trainer.run import Run
from lmsdk.trainer.rundir import MODEL_DIR, finished_run_config
from lmsdk.trainer.step import AUTOCAST_DTYPES, AugmentedBatch, FramePair, StepResult, augment

logger = logging.getLogger(__name__)

DISTILL_TERMS = ("points", "maps")


def distill_config(
    teacher: str | Path,
    arch: str = "lite-wide",
    *,
    steps: int = 3600,
    max_minutes: float | None = None,
    batch_size: int = 32,
    **overrides: Any,
) -> TrainConfig:
    """The training config of a distillation: the teacher run's data, crops and augmentation, its model with
    the lite detector ``arch`` (a name of :data:`~lmsdk.model.presets.LITE_PRESETS`) added, and a warm-up +
    cosine schedule sized to ``steps`` (or to ``max_minutes``)."""
    teacher = Path(teacher)
    if arch not in LITE_PRESETS:
        raise ConfigError(f"unknown lite architecture {arch!r}; choose one of: {', '.join(LITE_PRESETS)}")
    trained = finished_run_config(teacher, "to distil")
    if trained.model.lite is not None:
        raise ConfigError(f"{teacher}: is itself a distilled run; distil its teacher instead")
    schedule = ScheduleConfig.fine_tuning(3e-3, 3e-5, warmup=0.03)
    config = stage_config(
        trained,
        schedule,
        model=trained.model.replace(lite=LITE_PRESETS[arch]),
        distill=DistillConfig(teacher=str(teacher)),
        steps=steps,
        max_minutes=max_minutes,
        batch_size=batch_size,
        bn_batches=min(trained.bn_batches, 50),
        eval_images=trained.eval_images,
        checkpoint_every=500,
        sample_every=1000,
        eval_every=1000,
    )
    return config.replace(**overrides)


class DistillRun(Run):
    """A run whose trainable part is the lite detector, taught by the frozen teacher around it."""

    def prepare_core(self) -> None:
        distill = self.config.distill
        assert distill is not None and self.config.model.lite is not None
        teacher = load_model(Path(distill.teacher) / MODEL_DIR)
        if teacher.config != dataclasses.replace(self.config.model, lite=None):
            raise ConfigError(f"{distill.teacher}: its model differs from the one this distillation was set up with")
        missing, unexpected = self.core.load_state_dict(teacher.state_dict(), strict=False)
        assert not unexpected and all(name.startswith("lite.") for name in missing)
        for name, p in self.core.named_parameters():
            p.requires_grad_(name.startswith("lite."))
        self.core.eval()  # the teacher keeps its exact statistics; the student is put in train mode per step

    def trained_module(self) -> nn.Module:
        assert self.core.lite is not None
        return self.core.lite

    def parameter_groups(self) -> list[dict[str, Any]]:
        return [{"params": list(self.trainable.parameters()), "lr_scale": 1.0}]

    def forward_step(self, crops: Tensor, pair: FramePair | None, step: int, generator: torch.Generator) -> StepResult:
        cfg = self.config
        assert cfg.distill is not None
        batch = augment(self.core, crops, cfg, step, self.total, generator)
        crop = None if batch.crop_size == cfg.model.crop_size else batch.crop_size
        with torch.no_grad():
            teacher: Detection = self.core.detector.eval()(batch.inputs, crop)
        self.trainable.train()
        dtype = AUTOCAST_DTYPES.get(cfg.precision)
        with torch.autocast(crops.device.type, dtype=dtype or torch.float32, enabled=dtype is not None):
            student: Detection = self.model(batch.inputs, crop)
        terms = distillation_terms(student, teacher, batch.crop_size)
        weights = {"points": cfg.distill.points, "maps": cfg.distill.maps}
        loss = sum(weights[k] * terms[k] for k in DISTILL_TERMS)
        return StepResult(loss, terms, weights, batch, None)  # type: ignore[arg-type]

    def statistics_forward(self, batch: AugmentedBatch) -> None:
        self.trainable(batch.inputs)


def distillation_terms(student: Detection, teacher: Detection, crop_size: int) -> dict[str, Tensor]:
    """The student's squared landmark distance to the teacher in crop pixels (mean over landmarks and images),
    and the KL divergence of its maps from the teacher's, pooled to the student's side (mean over pixels)."""
    points = ((student.points.float() - teacher.points) * crop_size).square().sum(-1).mean()
    side = student.probs.shape[-1]
    target = F.adaptive_avg_pool2d(teacher.probs, side)  # still a distribution over K + 1 at every pixel
    log_student = torch.log(student.probs.float().clamp_min(1e-8))
    maps = (target * (torch.log(target.clamp_min(1e-8)) - log_student)).sum(1).mean()
    return {"points": points, "maps": maps}
