"""Training: the stages, losses, schedules, exact BatchNorm statistics, checkpoints and the loop (torch)."""

from lmsdk.trainer.config import AugmentConfig, DiscoveryConfig, LossConfig, ScheduleConfig, TrainConfig
from lmsdk.trainer.fine_tuning import fine_tuning_config
from lmsdk.trainer.loop import RunResult, train
from lmsdk.trainer.presets import TRAIN_PRESETS, get_preset
from lmsdk.trainer.stages import config_from_dict, read_config
from lmsdk.trainer.stages.distill import DistillConfig
from lmsdk.trainer.stages.finetune import FineTuneConfig
from lmsdk.trainer.stages.generation import GenerationConfig
from lmsdk.trainer.stages.sharpen import SharpenConfig

__all__ = [
    "TRAIN_PRESETS",
    "AugmentConfig",
    "DiscoveryConfig",
    "DistillConfig",
    "FineTuneConfig",
    "GenerationConfig",
    "LossConfig",
    "RunResult",
    "ScheduleConfig",
    "SharpenConfig",
    "TrainConfig",
    "config_from_dict",
    "fine_tuning_config",
    "get_preset",
    "read_config",
    "train",
]
