"""A trained generator on disk, beside the landmark model it was trained with (safetensors + JSON, no pickle).

A generator run's ``model/`` folder is a landmark model folder (:mod:`lmsdk.model.checkpoint`: the frozen
detector, encoder and decoder it was conditioned with) plus ``generator.safetensors`` and
``generator_config.json``; ``lmsdk export`` writes ``generator.onnx`` when it finds them.
"""

from __future__ import annotations

import os
from pathlib import Path

from safetensors.torch import save

from lmsdk.configio import named
from lmsdk.errors import CheckpointError
from lmsdk.fileio import atomic_write_bytes, atomic_write_json, read_json
from lmsdk.model.checkpoint import check_weights, load_model_config, load_state
from lmsdk.model.generator import GeneratorSpec, LandmarkGenerator

GENERATOR_WEIGHTS = "generator.safetensors"
GENERATOR_CONFIG = "generator_config.json"
GENERATOR_FORMAT = "lmsdk.generator/1"


def has_generator(directory: str | os.PathLike[str]) -> bool:
    """Whether a model folder holds a generator."""
    return (Path(directory) / GENERATOR_CONFIG).is_file()


def save_generator(generator: LandmarkGenerator, directory: str | os.PathLike[str]) -> Path:
    """Write ``generator.safetensors`` and ``generator_config.json`` (its :class:`GeneratorSpec`) into
    ``directory``, which should hold the landmark model the generator was trained with."""
    directory = Path(directory)
    state = {k: v.detach().contiguous().cpu() for k, v in generator.state_dict().items()}
    atomic_write_bytes(directory / GENERATOR_WEIGHTS, save(state, metadata={"format": GENERATOR_FORMAT}))
    config = {"format": GENERATOR_FORMAT, "generator": generator.spec.to_dict(), "latent": "isotropic Gaussian N(0, I)"}
    atomic_write_json(directory / GENERATOR_CONFIG, config)
    return directory


def load_generator(directory: str | os.PathLike[str]) -> LandmarkGenerator:
    """The generator of a model folder (its landmark model's config gives K, S and the heatmaps), in eval mode."""
    directory = Path(directory)
    data = read_json(directory / GENERATOR_CONFIG, "generator config")
    if not isinstance(data, dict) or data.get("format") != GENERATOR_FORMAT or "generator" not in data:
        raise CheckpointError(f"{directory / GENERATOR_CONFIG}: not an lmsdk generator config ({GENERATOR_FORMAT})")
    where = directory / GENERATOR_CONFIG
    spec = named(lambda: GeneratorSpec.from_dict(data["generator"], f"{where}: generator"), where)
    generator = LandmarkGenerator(load_model_config(directory), spec)
    state = load_state(directory / GENERATOR_WEIGHTS, "generator weights")
    check_weights(state, generator, directory / GENERATOR_WEIGHTS)
    try:
        generator.load_state_dict(state)
    except RuntimeError:
        raise CheckpointError(
            f"{directory / GENERATOR_WEIGHTS}: weights do not match {GENERATOR_CONFIG} and the landmark model"
        ) from None
    return generator.eval()
