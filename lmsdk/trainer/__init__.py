"""Training: losses, schedules, exact BatchNorm statistics, checkpoints and the loop (torch)."""

from lmsdk.trainer.config import AugmentConfig, LossConfig, ScheduleConfig, TrainConfig
from lmsdk.trainer.loop import RunResult, train
from lmsdk.trainer.presets import TRAIN_PRESETS, get_preset

__all__ = [
    "TRAIN_PRESETS",
    "AugmentConfig",
    "LossConfig",
    "RunResult",
    "ScheduleConfig",
    "TrainConfig",
    "get_preset",
    "train",
]
