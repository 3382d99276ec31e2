"""The config of a stage that builds on a finished run (``lmsdk distill``, ``sharpen``, ``train-generator``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol, cast

from lmsdk.errors import ConfigError
from lmsdk.rundir import MODEL_DIR, RunDir
from lmsdk.trainer.config import TrainConfig
from lmsdk.trainer.stages import BuildsOnARun, read_config, stage_class

# The cadence of every fine-tuning run (steps between events).
CHECKPOINT_EVERY, SAMPLE_EVERY, PROBE_EVERY = 500, 250, 1000
MAX_BN_BATCHES = 50  # exact BatchNorm statistics: the source's batches, at most this many


class BuiltOnARun(Protocol):
    """The settings of a stage that starts from the finished run ``source``."""

    @property
    def kind(self) -> str: ...

    @property
    def source(self) -> str: ...


def fine_tuning_stage(kind: str) -> BuildsOnARun:
    """The stage class of ``kind``; :class:`ConfigError` when that stage does not build on a finished run."""
    stage = stage_class(kind)
    if not hasattr(stage, "setup"):
        raise ConfigError(f"a {kind} run does not start from a finished run")
    return cast(BuildsOnARun, stage)


def finished_run_config(source: str | Path, purpose: str) -> TrainConfig:
    """The config of the finished run ``source`` (``purpose``: what the stage does with it, for the error);
    :class:`ConfigError` when it has no model folder."""
    run = RunDir.of(source)
    if not run.finished():
        raise ConfigError(f"{source}: not a finished training run (no {MODEL_DIR}/ folder {purpose})")
    return read_config(run.root, "source run config")


def fine_tuning_config(settings: BuiltOnARun, **overrides: Any) -> TrainConfig:
    """The training config of the stage ``settings`` (whose ``source`` names a finished run): the source's data,
    crops, losses and augmentation with the stage's model, schedule, step cap and batch size; no time budget,
    starting weights or discovery-only levers (the head's learning-rate scale, the weight average); the
    fine-tuning cadence; the source's precision and compile where the stage keeps them (else fp32, eager); then
    ``overrides`` (top-level :class:`TrainConfig` fields)."""
    stage = fine_tuning_stage(settings.kind)
    trained = finished_run_config(settings.source, f"to {settings.kind}")
    setup = stage.setup(trained, settings)
    changes: dict[str, Any] = {
        "stage": settings,
        "model": setup.model,
        "schedule": setup.schedule,
        "steps": stage.steps,
        "batch_size": stage.batch_size,
        "max_minutes": None,
        "head_lr_scale": 1.0,
        "ema_horizon": 0.0,
        "bn_batches": min(trained.bn_batches, MAX_BN_BATCHES),
        "checkpoint_every": CHECKPOINT_EVERY,
        "sample_every": SAMPLE_EVERY,
        "eval_every": PROBE_EVERY if stage.moves_landmarks else 0,
        "eval_images": trained.eval_images if stage.moves_landmarks else 0,
    }
    if not stage.keeps_source_speed:
        changes.update(precision="fp32", compile=False)
    unknown = set(overrides) - set(TrainConfig.__dataclass_fields__)
    if unknown:
        raise ConfigError(f"unknown training option(s): {', '.join(sorted(unknown))}")
    return trained.replace(**(changes | overrides))
