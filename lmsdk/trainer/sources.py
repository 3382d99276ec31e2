"""Where a stage's starting weights come from: a finished run, a model folder, an artifact with its weights or a
shipped model's name.

:func:`source_model` is the one place that turns a source (a path) into weights; every stage that starts from a
trained model (fine-tuning, distillation, sharpening, generation) goes through :func:`load_source`.
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

from lmsdk.errors import CheckpointError, ConfigError
from lmsdk.model.autoencoder import LandmarkAutoencoder
from lmsdk.model.checkpoint import CONFIG_FILE, load_model, load_model_config
from lmsdk.model.config import ModelConfig
from lmsdk.rundir import model_folder
from lmsdk.zoo import resolve

logger = logging.getLogger(__name__)


def source_model(source: str | Path) -> LandmarkAutoencoder:
    """The landmark model ``source`` names: a run directory (its ``model/``), a model folder, an artifact exported
    with its weights, or a shipped model's name (``faces``; an existing path wins); on the CPU."""
    return load_model(model_folder(resolve(source)))


def source_config(source: str | Path) -> ModelConfig:
    """The model configuration of ``source`` (as :func:`source_model` resolves it), without loading its weights."""
    return load_model_config(model_folder(resolve(source)))


def load_source(core: LandmarkAutoencoder, source: str | Path, *, trained: tuple[str, ...] | None = None) -> None:
    """Copy the landmark model of ``source`` into ``core`` and freeze it.

    ``core`` must have the source's architecture; parts the source lacks (the lite detector a distillation adds)
    keep their fresh weights. ``trained``: the parameter name prefixes that keep training (``()``: none); every
    other parameter is frozen and ``core`` put in eval mode, so the frozen parts keep their exact BatchNorm
    statistics. ``None`` trains everything and freezes nothing (fine-tuning).
    """
    model = source_model(source)
    if model.config != dataclasses.replace(core.config, lite=model.config.lite):
        raise ConfigError(
            f"{source}: its model ({CONFIG_FILE}) differs from this run's; start only from a model of the same "
            "preset, landmark count and image size"
        )
    missing, unexpected = core.load_state_dict(model.state_dict(), strict=False)
    if unexpected or any(not name.startswith("lite.") for name in missing):
        raise CheckpointError(f"{source}: its weights do not fit this run's model")
    if trained is not None:
        for name, p in core.named_parameters():
            p.requires_grad_(name.startswith(trained))
        core.eval()
    logger.info("starting from %s", source)
