"""The training configuration: one frozen dataclass per concern, saved as RUN_DIR/config.json."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Literal

from lmsdk.configio import from_dict, to_dict
from lmsdk.data.sources import DataConfig
from lmsdk.errors import ConfigError
from lmsdk.model.config import ModelConfig
from lmsdk.ops.color import JitterConfig
from lmsdk.ops.warps import WarpConfig

Precision = Literal["fp32", "bf16", "fp16"]

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
    """Step schedules: ``values[i]`` holds from milestone ``i - 1`` to milestone ``i`` (fractions of the run)."""

    learning_rates: tuple[float, ...] = (1e-3, 1e-4, 1e-5)
    lr_milestones: tuple[float, ...] = RELEASED_MILESTONES
    reconstruction_weights: tuple[float, ...] = (0.1, 1.0, 10.0)  # lambda_rec; all 0 disables the loss
    reconstruction_milestones: tuple[float, ...] = RELEASED_MILESTONES

    def __post_init__(self) -> None:
        for values, milestones, name in (
            (self.learning_rates, self.lr_milestones, "learning rate"),
            (self.reconstruction_weights, self.reconstruction_milestones, "reconstruction weight"),
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
    init: str | None = None  # start from this run's (or model folder's) weights, e.g. AFLW fine-tuning from CelebA
    device: str = "cpu"
    precision: Precision = "fp32"
    channels_last: bool = True  # NHWC convolutions: about 20% faster on CPUs (docs/cpu-preset.md)
    bn_batches: int = 500  # batches for the exact BatchNorm statistics (App. G.3)
    log_every: int = 10
    sample_every: int = 1000
    checkpoint_every: int = 5000
    eval_every: int = 0  # 0: only at the end; the regression error is logged when labels exist
    eval_images: int = 1000
    keep_checkpoints: int = 2
    threads: int | None = None  # torch intra-op threads (None: all cores, split across processes)
    progress: bool = True

    def __post_init__(self) -> None:
        if self.steps < 1:
            raise ConfigError(f"steps must be positive, got {self.steps}")
        if self.batch_size < 2:
            raise ConfigError(f"batch size must be at least 2 (BatchNorm), got {self.batch_size}")
        if self.max_minutes is not None and self.max_minutes <= 0:
            raise ConfigError(f"max minutes must be positive, got {self.max_minutes}")
        if self.precision not in ("fp32", "bf16", "fp16"):
            raise ConfigError(f"precision must be fp32, bf16 or fp16, got {self.precision!r}")
        if self.device not in ("cpu", "cuda") and not self.device.startswith("cuda:"):
            raise ConfigError(f"device must be cpu or cuda, got {self.device!r}")

    def replace(self, **changes: Any) -> TrainConfig:
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        return to_dict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        return from_dict(cls, data, "train config")
