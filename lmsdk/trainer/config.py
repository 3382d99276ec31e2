"""The training configuration: one frozen dataclass per concern, saved as RUN_DIR/config.json."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from lmsdk.configio import to_dict
from lmsdk.data.sources import DataConfig
from lmsdk.errors import ConfigError
from lmsdk.model.config import ModelConfig
from lmsdk.ops.color import JitterConfig
from lmsdk.ops.warps import WarpConfig

Precision = Literal["auto", "fp32", "bf16", "fp16"]
LrDecay = Literal["step", "cosine"]

# The released schedule switches at 100k and 200k of about 220k steps. lmsdk states milestones as
# fractions of the planned steps, so a shorter run (or one sized to a time budget) keeps its shape.
RELEASED_MILESTONES = (100 / 220, 200 / 220)


@dataclass(frozen=True)
class LossConfig:
    """Loss weights (lambda) and the separation bandwidth; coordinates are normalised to the crop."""

    concentration: float = 100.0
    separation: float = 20.0
    separation_sigma: float = 0.08
    equivariance: float = 1e4
    weight_decay: float = 1e-6
    flow_equivariance: float = 1e4  # video pairs only: the flow as the warp (App. C)
    flow_preference: float = 10.0  # video pairs only: landmarks where things move (eq. 16, lmsdk's scaling)


@dataclass(frozen=True)
class ScheduleConfig:
    """Schedules over the run; every position is a fraction of the planned steps, so a run sized to a time
    budget keeps the shape of its schedule.

    Step schedules: ``values[i]`` holds from milestone ``i - 1`` to milestone ``i``. The learning rate may
    instead warm up linearly over the first ``warmup`` of the run and decay along a half cosine from
    ``learning_rates[0]`` to ``learning_rates[1]`` (``lr_decay="cosine"``, no milestones).
    """

    learning_rates: tuple[float, ...] = (1e-3, 1e-4, 1e-5)
    lr_milestones: tuple[float, ...] = RELEASED_MILESTONES
    reconstruction_weights: tuple[float, ...] = (0.1, 1.0, 10.0)  # lambda_rec; all 0 disables the loss
    reconstruction_milestones: tuple[float, ...] = RELEASED_MILESTONES
    warmup: float = 0.0  # fraction of the run over which the learning rate rises linearly from 0
    lr_decay: LrDecay = "step"
    # Resolution curriculum: train at these fractions of the crop side (the same networks on smaller
    # images), switching at the milestones; the last phase should be 1.0 (the model's own resolution).
    crop_scales: tuple[float, ...] = (1.0,)
    crop_scale_milestones: tuple[float, ...] = ()

    @classmethod
    def fine_tuning(cls, start: float, end: float, warmup: float = 0.0) -> ScheduleConfig:
        """A fine-tuning stage's schedule: warm-up over ``warmup`` of the run, then a cosine learning rate from
        ``start`` to ``end``; no reconstruction loss (the stages bring their own terms)."""
        return cls(
            learning_rates=(start, end),
            lr_milestones=(),
            lr_decay="cosine",
            warmup=warmup,
            reconstruction_weights=(0.0,),
            reconstruction_milestones=(),
        )

    def __post_init__(self) -> None:
        if self.lr_decay not in ("step", "cosine"):
            raise ConfigError(f"lr_decay must be 'step' or 'cosine', got {self.lr_decay!r}")
        if self.lr_decay == "cosine" and (len(self.learning_rates) != 2 or self.lr_milestones):
            raise ConfigError("a cosine learning rate takes two values (start, end) and no milestones")
        if not 0 <= self.warmup < 1:
            raise ConfigError(f"warmup must be a fraction of the run in [0, 1), got {self.warmup}")
        if any(not 0 < s <= 1 for s in self.crop_scales) or self.crop_scales[-1] != 1.0:
            raise ConfigError(f"crop scales must be in (0, 1] and end at 1.0, got {self.crop_scales}")
        for values, milestones, name in (
            (self.learning_rates if self.lr_decay == "step" else (0.0,), self.lr_milestones, "learning rate"),
            (self.reconstruction_weights, self.reconstruction_milestones, "reconstruction weight"),
            (self.crop_scales, self.crop_scale_milestones, "crop scale"),
        ):
            if len(values) != len(milestones) + 1:
                raise ConfigError(f"{name} schedule needs one value more than milestones")
            if list(milestones) != sorted(milestones) or any(not 0 < m < 1 for m in milestones):
                raise ConfigError(f"{name} milestones must increase within (0, 1), got {milestones}")


@dataclass(frozen=True)
class AugmentConfig:
    """Per-batch colour jitter and the random warps of the equivariance constraint."""

    jitter: JitterConfig = field(default_factory=JitterConfig)
    warp: WarpConfig = field(default_factory=WarpConfig)
    # Landmark-control-point TPS (App. F.3): chance per sample, ramped in linearly between two points
    # of training (fractions of the planned steps). The released configs switch it off (0).
    landmark_tps_ratio: float = 0.0
    landmark_tps_ramp: tuple[float, float] = (5 / 220, 10 / 220)


class StageConfig(Protocol):
    """The settings of one kind of run (:mod:`lmsdk.trainer.stages`), named by ``kind`` in ``config.json``."""

    @property
    def kind(self) -> str: ...


@dataclass(frozen=True)
class DiscoveryConfig:
    """Discovery from random weights (the paper's training; ``lmsdk train``): nothing more to say."""

    kind: Literal["discover"] = "discover"


@dataclass(frozen=True)
class TrainConfig:
    """Everything a training run needs; ``lmsdk train`` builds it from a preset and flags."""

    model: ModelConfig
    data: DataConfig = field(default_factory=DataConfig)
    loss: LossConfig = field(default_factory=LossConfig)
    schedule: ScheduleConfig = field(default_factory=ScheduleConfig)
    augment: AugmentConfig = field(default_factory=AugmentConfig)
    steps: int = 220_000  # upper bound; a time budget may plan fewer
    batch_size: int = 16  # global batch (split across data-parallel processes)
    max_minutes: float | None = None  # stop cleanly within this wall-clock budget
    seed: int = 0
    device: str = "cpu"
    precision: Precision = "fp32"  # autocast; "auto": bf16 on CPUs with native bf16 units, else fp32
    channels_last: bool = True  # NHWC convolutions: faster on CPUs (docs/cpu-preset.md)
    compile: bool = False  # torch.compile the training forward (falls back to eager where unavailable)
    # Learning-rate multiplier for the scale of the detector's score maps (its last BatchNorm): with Adam a
    # scale moves about one learning rate per step, so at 1x the maps sharpen only over many thousand steps.
    head_lr_scale: float = 1.0
    ema_horizon: float = 0.0  # export an average of the weights over this fraction of the run (0: off)
    bn_batches: int = 500  # batches for the exact BatchNorm statistics (App. G.3)
    log_every: int = 10
    sample_every: int = 1000
    checkpoint_every: int = 5000
    eval_every: int = 0  # 0: only at the end; the regression error is logged when labels exist
    eval_images: int = 1000
    keep_checkpoints: int = 2
    threads: int | None = None  # torch intra-op threads (None: the CPUs this process may use, split across processes)
    stage: StageConfig = field(default_factory=DiscoveryConfig)  # what kind of run (lmsdk.trainer.stages)
    progress: bool = True

    def __post_init__(self) -> None:
        if self.steps < 1:
            raise ConfigError(f"steps must be positive, got {self.steps}")
        if self.batch_size < 2:
            raise ConfigError(f"batch size must be at least 2 (BatchNorm), got {self.batch_size}")
        if self.max_minutes is not None and not (math.isfinite(self.max_minutes) and self.max_minutes > 0):
            raise ConfigError(f"max minutes must be a positive number, got {self.max_minutes}")
        if self.seed < 0:
            raise ConfigError(f"seed must be a non-negative integer, got {self.seed}")
        if self.log_every < 1:
            raise ConfigError(f"log_every must be at least 1, got {self.log_every}")
        for name in ("sample_every", "checkpoint_every", "eval_every", "keep_checkpoints"):
            if getattr(self, name) < 0:
                raise ConfigError(f"{name} must be a step count, or 0 for never; got {getattr(self, name)}")
        if self.precision not in ("auto", "fp32", "bf16", "fp16"):
            raise ConfigError(f"precision must be auto, fp32, bf16 or fp16, got {self.precision!r}")
        if not 0 <= self.ema_horizon < 1:
            raise ConfigError(f"ema_horizon must be a fraction of the run in [0, 1), got {self.ema_horizon}")
        if self.device not in ("cpu", "cuda") and not self.device.startswith("cuda:"):
            raise ConfigError(f"device must be cpu or cuda, got {self.device!r}")
        if not isinstance(getattr(self.stage, "kind", None), str):
            raise ConfigError(f"stage must be a stage config with a kind, got {self.stage!r}")

    def replace(self, **changes: Any) -> TrainConfig:
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """The config as JSON-ready dicts (read back with :func:`lmsdk.trainer.config_from_dict`)."""
        return to_dict(self)
