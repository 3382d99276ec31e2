"""A trained generator on disk, beside the landmark model it was trained with (safetensors + JSON, no pickle).

A generator run's ``model/`` folder is a landmark model folder (:mod:`lmsdk.model.checkpoint`: the frozen
detector, encoder and decoder it was conditioned with) plus ``generator.safetensors`` and
``generator_config.json``; ``lmsdk export`` writes ``generator.onnx`` when it finds them.

The config's ``architecture`` names what the weights are: ``"landmark-generator"``
(:class:`~lmsdk.model.generator.LandmarkGenerator`, BEGAN from noise; the config's ``generator`` holds its widths;
configs written before the other architecture have no ``architecture``) or ``"prior-decoder"``
(:class:`~lmsdk.model.prior_generator.PriorDecoderGenerator`, BEGAN from the prior and the run's decoder; the
config's ``latent_dim`` is Z and ``prior`` says what the prior was fitted on).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from safetensors.torch import save

from lmsdk.configio import named
from lmsdk.errors import CheckpointError
from lmsdk.fileio import atomic_write_bytes, atomic_write_json, read_json
from lmsdk.model.checkpoint import check_weights, load_model_config, load_state
from lmsdk.model.generator import GeneratorSpec, LandmarkGenerator
from lmsdk.model.prior_generator import ARCHITECTURE as PRIOR_DECODER
from lmsdk.model.prior_generator import PriorDecoderGenerator

GENERATOR_WEIGHTS = "generator.safetensors"
GENERATOR_CONFIG = "generator_config.json"
GENERATOR_FORMAT = "lmsdk.generator/1"
LANDMARK_GENERATOR = "landmark-generator"
LATENT = "isotropic Gaussian N(0, I)"

ImageGenerator = LandmarkGenerator | PriorDecoderGenerator  # landmarks (B, K, 2), latent (B, Z) -> (B, 3, S, S)


def has_generator(directory: str | os.PathLike[str]) -> bool:
    """Whether a model folder holds a generator."""
    return (Path(directory) / GENERATOR_CONFIG).is_file()


def describe_generator(generator: ImageGenerator) -> dict[str, Any]:
    """What a generator is, as JSON: its ``architecture``, ``latent_dim`` and ``latent`` law, and its widths
    (``spec``, a generator from noise) or what its prior was fitted on (``prior``). Written into
    ``generator_config.json`` and the artifact manifest's ``generator`` entry."""
    info: dict[str, Any] = {"latent_dim": generator.latent_dim, "latent": LATENT}
    if isinstance(generator, PriorDecoderGenerator):
        return {"architecture": PRIOR_DECODER, **info, "prior": dict(generator.fit_info)}
    return {"architecture": LANDMARK_GENERATOR, **info, "spec": generator.spec.to_dict()}


def save_generator(generator: ImageGenerator, directory: str | os.PathLike[str]) -> Path:
    """Write ``generator.safetensors`` and ``generator_config.json`` (:func:`describe_generator`) into
    ``directory``, which should hold the landmark model the generator was trained with."""
    directory = Path(directory)
    state = {k: v.detach().contiguous().cpu() for k, v in generator.state_dict().items()}
    atomic_write_bytes(directory / GENERATOR_WEIGHTS, save(state, metadata={"format": GENERATOR_FORMAT}))
    info = describe_generator(generator)
    if info["architecture"] == LANDMARK_GENERATOR:  # the key an earlier lmsdk reads the widths from
        info["generator"] = info.pop("spec")
    atomic_write_json(directory / GENERATOR_CONFIG, {"format": GENERATOR_FORMAT, **info})
    return directory


def load_generator(directory: str | os.PathLike[str]) -> ImageGenerator:
    """The generator of a model folder (its landmark model's config gives K, S, the heatmaps and the decoder), in
    eval mode."""
    directory = Path(directory)
    where = directory / GENERATOR_CONFIG
    data = read_json(where, "generator config")
    if not isinstance(data, dict) or data.get("format") != GENERATOR_FORMAT:
        raise CheckpointError(f"{where}: not an lmsdk generator config ({GENERATOR_FORMAT})")
    architecture = data.get("architecture", LANDMARK_GENERATOR)
    model = load_model_config(directory)
    generator: ImageGenerator
    if architecture == PRIOR_DECODER:
        latent = data.get("latent_dim")
        if isinstance(latent, bool) or not isinstance(latent, int) or latent < 1:
            raise CheckpointError(f"{where}: a {PRIOR_DECODER} generator needs a positive integer latent_dim")
        prior = data.get("prior")
        if prior is not None and not isinstance(prior, dict):
            raise CheckpointError(f"{where}: 'prior' must be an object (the crops and shares it was fitted with)")
        generator = named(lambda: PriorDecoderGenerator.blank(model, latent, prior), where)
    elif architecture == LANDMARK_GENERATOR and "generator" in data:
        spec = named(lambda: GeneratorSpec.from_dict(data["generator"], f"{where}: generator"), where)
        generator = LandmarkGenerator(model, spec)
    else:
        raise CheckpointError(f"{where}: unknown generator architecture {architecture!r} or no widths")
    state = load_state(directory / GENERATOR_WEIGHTS, "generator weights")
    check_weights(state, generator, directory / GENERATOR_WEIGHTS)
    try:
        generator.load_state_dict(state)
    except RuntimeError:
        raise CheckpointError(
            f"{directory / GENERATOR_WEIGHTS}: weights do not match {GENERATOR_CONFIG} and the landmark model"
        ) from None
    return generator.eval()
