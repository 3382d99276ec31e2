"""What a generator run's BEGAN starts from (``lmsdk train-generator --start-from``).

- ``"prior"`` (the default): the prior over the source run's codes and a copy of its decoder,
  :class:`~lmsdk.model.prior_generator.PriorDecoderGenerator`. The prior is fitted as ``lmsdk export`` fits it
  (:func:`lmsdk.export.prior.fit_run_prior`): the frozen model encodes :data:`~lmsdk.model.prior.PRIOR_CROPS`
  training crops spread evenly over the run's data (no augmentation), in eval mode on the CPU. So BEGAN starts
  from exactly what ``lmsdk generate --source prior`` draws on the source run's artifact.
- ``"noise"``: a fresh :class:`~lmsdk.model.generator.LandmarkGenerator`, as the paper trains it (App. G.5).
"""

from __future__ import annotations

from typing import Literal

from lmsdk.data.sources import DataConfig, training_crops
from lmsdk.model.autoencoder import LandmarkAutoencoder
from lmsdk.model.generator import GeneratorSpec, LandmarkGenerator
from lmsdk.model.generator_io import ImageGenerator
from lmsdk.model.prior import PRIOR_CROPS, PriorFit, encode_crops, fit_prior
from lmsdk.model.prior_generator import PriorDecoderGenerator

StartFrom = Literal["prior", "noise"]
STARTS: tuple[StartFrom, ...] = ("prior", "noise")


def starting_generator(
    start_from: StartFrom, spec: GeneratorSpec, core: LandmarkAutoencoder, data: DataConfig
) -> ImageGenerator:
    """The generator BEGAN starts from, on the CPU.

    Args:
        start_from: ``"prior"`` or ``"noise"`` (module docstring).
        spec: the widths of a generator from noise (unused for ``"prior"``).
        core: the source run's landmark model, loaded and frozen (eval mode), on the CPU.
        data: the run's training data (the prior is fitted on it).
    """
    if start_from == "noise":
        return LandmarkGenerator(core.config, spec)
    return PriorDecoderGenerator(core.decoder, source_prior(core, data))


def source_prior(core: LandmarkAutoencoder, data: DataConfig) -> PriorFit:
    """The prior over ``core``'s codes on :data:`PRIOR_CROPS` crops spread evenly over ``data``'s first image source
    (:func:`~lmsdk.data.sources.training_crops`, the crops ``lmsdk export`` fits it on)."""
    return fit_prior(*encode_crops(core, training_crops(data, core.config.crop_size, PRIOR_CROPS)))
