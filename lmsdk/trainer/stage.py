"""The shape of every training stage: what a stage builds, what one of its steps computes, what it samples and
what it exports. The loop (:mod:`lmsdk.trainer.run`, :mod:`lmsdk.trainer.loop`) does everything else, the same
way for every stage: data, optimizer, precision, compile, the weight average, exact BatchNorm statistics, the time
budget, checkpoints, samples, probes and the finished model folder.

Stages are registered in :data:`lmsdk.trainer.stages.STAGES`; ``docs/design.md`` shows how to add one.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar

import numpy as np
import torch
from torch import Tensor, nn

from lmsdk.errors import ConfigError
from lmsdk.model.autoencoder import LandmarkAutoencoder
from lmsdk.model.config import ModelConfig
from lmsdk.trainer.balance import BeganBalance
from lmsdk.trainer.config import ScheduleConfig, StageConfig, TrainConfig
from lmsdk.trainer.step import AugmentedBatch, FramePair

S = TypeVar("S", bound=StageConfig)


@dataclass
class Networks:
    """What a stage builds: the networks of a run and what trains them.

    Every checkpoint keeps ``core``, the main optimizer over ``groups``, and ``kept`` and ``balance`` (with its
    optimizer); the finished ``RUN_DIR/model`` holds ``core`` and its landmark statistics, plus whatever the stage's
    :meth:`Stage.export` adds.
    """

    core: LandmarkAutoencoder  # the landmark model: what lmsdk export reads from RUN_DIR/model
    trained: nn.Module  # what the main optimizer trains (the loop compiles it, averages it, refreshes its BN)
    groups: list[dict[str, Any]]  # the main optimizer's parameter groups, each with its "lr_scale"
    kept: dict[str, nn.Module] = field(default_factory=dict)  # more networks a checkpoint keeps, by name
    balance: BeganBalance | None = None  # an adversary with its own optimizer (sharpening, generation)
    single_process: bool = False  # the stage cannot train data-parallel (torchrun is refused)

    def modules(self) -> list[nn.Module]:
        """Every network of the run (for device placement and memory format)."""
        return [self.core, self.trained, *self.kept.values(), *([self.balance] if self.balance else [])]


@dataclass(frozen=True)
class StepContext:
    """What the loop hands a stage for one step (or one exact-BatchNorm forward)."""

    step: int  # steps completed before this one
    total: int  # steps the schedule is planned for
    forward: nn.Module  # ``Networks.trained`` as the loop runs it: compiled, data-parallel
    generator: torch.Generator  # this step's random stream (CPU; reproducible on any device)
    autocast: Callable[[], AbstractContextManager[Any]]  # the run's precision, for the trained forward


@dataclass(frozen=True)
class Loss:
    """One step's loss (no backward yet)."""

    total: Tensor  # the weighted sum that is backpropagated
    terms: dict[str, Tensor]  # its unweighted terms, logged as loss/NAME
    crop: int  # the crop side the step trained at (less than the model's during a resolution curriculum)
    logged: dict[str, float] = field(default_factory=dict)  # more figures of the step (weight/reconstruction)


class Stage(Protocol):
    """One kind of training run. A stage is a value made from the run's :class:`TrainConfig` (its settings are
    ``config.stage``); it holds no state of its own: the networks it builds hold it."""

    def build(self, device: torch.device) -> Networks:
        """The run's networks, on ``device``, before any step: fresh weights, or a source run's loaded and frozen
        (:func:`lmsdk.trainer.sources.load_source`)."""
        ...

    def loss(self, nets: Networks, crops: Tensor, pair: FramePair | None, at: StepContext) -> Loss:
        """The loss of one step on ``(B, 3, S, S)`` training crops (RGB in [0, 1]; ``pair``: the second frames
        and flows of video pairs), without backward. The trained forward runs through ``at.forward`` under
        ``at.autocast()``."""
        ...

    def statistics_forward(self, nets: Networks, batch: AugmentedBatch, at: StepContext) -> None:
        """One training-graph forward of ``nets.trained`` on an augmented batch, for exact BatchNorm statistics
        (the loop skips it when ``nets.trained`` has no BatchNorm)."""
        ...

    def sample(self, nets: Networks, crops: Tensor) -> np.ndarray:
        """A sample sheet (RGB uint8) of ``(n, 3, S, S)`` crops."""
        ...

    def export(self, nets: Networks, folder: Path) -> None:
        """Write what the finished run exports besides the landmark model into ``folder`` (``RUN_DIR/model``)."""
        ...


@dataclass(frozen=True)
class FineTuningSetup:
    """What a stage that builds on a finished run takes from it (:func:`lmsdk.trainer.fine_tuning_config`)."""

    schedule: ScheduleConfig  # the stage's own learning rate (no reconstruction schedule, no curriculum)
    model: ModelConfig  # the source's model, with whatever the stage adds to it


def settings_of(config: TrainConfig, kind: type[S]) -> S:
    """``config.stage`` as the settings class ``kind`` (:class:`ConfigError` when the config is another stage's)."""
    if not isinstance(config.stage, kind):
        raise ConfigError(f"the run config is a {config.stage.kind} run, not a {kind.__name__}")
    return config.stage
