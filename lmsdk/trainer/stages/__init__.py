"""The registry of training stages: every kind of run lmsdk trains, and how a run's config names one.

A stage (:class:`lmsdk.trainer.stage.Stage`) is a class made from the run's :class:`TrainConfig` whose ``Config``
is its settings dataclass (a ``kind`` field tags it in ``config.json``). Adding a stage is one new module here and
one line in :data:`STAGES` (docs/design.md shows one).
"""

from __future__ import annotations

import os
from typing import Any, ClassVar, Protocol

from lmsdk.configio import from_dict, named
from lmsdk.errors import ConfigError
from lmsdk.rundir import RunDir
from lmsdk.trainer.config import TrainConfig
from lmsdk.trainer.legacy import upgrade_config
from lmsdk.trainer.stage import FineTuningSetup, Stage
from lmsdk.trainer.stages.discovery import Discovery
from lmsdk.trainer.stages.distill import Distillation
from lmsdk.trainer.stages.finetune import FineTuning
from lmsdk.trainer.stages.generation import Generation
from lmsdk.trainer.stages.sharpen import Sharpening


class StageClass(Protocol):
    """What the registry knows of a stage: its settings class, and how to make the stage of a run."""

    Config: ClassVar[type[Any]]

    def __call__(self, config: TrainConfig) -> Stage: ...


class BuildsOnARun(StageClass, Protocol):
    """A stage that starts from a finished run (its settings have a ``source``)."""

    steps: ClassVar[int]  # the step cap unless a command says otherwise
    batch_size: ClassVar[int]
    keeps_source_speed: ClassVar[bool]  # runs with the source's precision and compile (else fp32, eager)
    moves_landmarks: ClassVar[bool]  # trains the landmarks: probed against labels as discovery is

    def setup(self, source: TrainConfig, settings: Any) -> FineTuningSetup: ...


STAGES: tuple[StageClass, ...] = (Discovery, FineTuning, Distillation, Sharpening, Generation)


def kind_of(stage: StageClass) -> str:
    """The ``kind`` a stage's settings carry (the default of their ``kind`` field)."""
    return str(stage.Config.__dataclass_fields__["kind"].default)


BY_KIND: dict[str, StageClass] = {kind_of(stage): stage for stage in STAGES}


def stage_class(kind: str) -> StageClass:
    try:
        return BY_KIND[kind]
    except KeyError:
        raise ConfigError(f"unknown stage kind {kind!r}; one of: {', '.join(BY_KIND)}") from None


def make_stage(config: TrainConfig) -> Stage:
    """The stage ``config`` asks for."""
    return stage_class(config.stage.kind)(config)


def config_from_dict(data: Any, where: str = "train config") -> TrainConfig:
    """A :class:`TrainConfig` from :meth:`TrainConfig.to_dict` output (or an older lmsdk's,
    :func:`~lmsdk.trainer.legacy.upgrade_config`); :class:`ConfigError` naming the field that is not one."""
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: expected an object, got {type(data).__name__}")
    data = upgrade_config(data)
    stage = data.get("stage", {"kind": "discover"})
    if not isinstance(stage, dict) or not isinstance(stage.get("kind"), str):
        raise ConfigError(f"{where}.stage: expected an object with a kind")
    settings = from_dict(stage_class(stage["kind"]).Config, stage, f"{where}.stage")
    return from_dict(TrainConfig, {k: v for k, v in data.items() if k != "stage"}, where).replace(stage=settings)


def read_config(path: str | os.PathLike[str], what: str = "run config") -> TrainConfig:
    """The config of the run directory ``path``; :class:`ConfigError` naming the file and the field where it is
    not one."""
    run = RunDir.of(path)
    return named(lambda: config_from_dict(run.read_config(what), f"{run.config}: {what}"), run.config)
