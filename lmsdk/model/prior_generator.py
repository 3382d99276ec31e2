"""The prior over the codes and a run's decoder as one generator: what BEGAN starts from by default.

``image = decoder(landmarks, prior(landmarks, latent))``: :class:`~lmsdk.model.prior.DescriptorPrior` turns
``landmarks (B, K, 2)`` and an isotropic Gaussian ``latent (B, Z)`` into descriptors ``(B, K + 1, C)`` and a copy
of the run's :class:`~lmsdk.model.decoder.LandmarkDecoder` draws them. It has the interface of
:class:`~lmsdk.model.generator.LandmarkGenerator` (``landmarks``, ``latent`` -> ``image``; ``latent_dim``), so
``lmsdk train-generator`` trains it against BEGAN's discriminator as it trains a generator from noise, and
``lmsdk export`` writes it as ``generator.onnx``.

Before its first step it draws exactly what the artifact's prior and decoder draw (``lmsdk generate --source
prior``). The prior's numbers are buffers, fixed; the decoder's weights train, its BatchNorm layers frozen to the
run's exact statistics (:mod:`lmsdk.model.frozen_norm`): no batch statistics, and the exported graph is the
trained network.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
from torch import Tensor, nn

from lmsdk.errors import ConfigError
from lmsdk.model.config import ModelConfig
from lmsdk.model.decoder import LandmarkDecoder
from lmsdk.model.frozen_norm import freeze_batchnorm
from lmsdk.model.prior import DescriptorPrior, PriorFit

ARCHITECTURE = "prior-decoder"


class PriorDecoderGenerator(nn.Module):
    """``landmarks (B, K, 2)`` + ``latent (B, Z)`` -> ``image (B, 3, S, S)`` RGB in (0, 1), through the prior's
    descriptors and a copy of ``decoder``.

    Args:
        decoder: a run's decoder (with descriptors); it is copied, never changed.
        fit: the prior over that run's codes (:func:`~lmsdk.model.prior.fit_prior`); Z is its ``latent_dim``.

    Raises:
        ConfigError: the decoder has no descriptors.
    """

    def __init__(self, decoder: LandmarkDecoder, fit: PriorFit) -> None:
        super().__init__()
        if decoder.unproject is None:
            raise ConfigError("the model has no descriptors: there is no prior to draw them from")
        self.prior = DescriptorPrior(fit)
        self.decoder = freeze_batchnorm(copy.deepcopy(decoder))
        self.decoder.requires_grad_(True)
        self.fit_info = {"crops": fit.crops, "explained": fit.explained, "variance_kept": fit.variance_kept}

    @classmethod
    def blank(
        cls, model: ModelConfig, latent_dim: int, fit_info: dict[str, Any] | None = None
    ) -> PriorDecoderGenerator:
        """A generator of the right shapes for ``model`` and Z = ``latent_dim``, to load saved weights into."""
        k, c = model.num_landmarks, model.descriptor_dim
        d = (k + 1) * c
        fit = PriorFit(
            landmark_mean=np.zeros((k, 2)),
            descriptor_mean=np.zeros((k + 1, c)),
            regression=np.zeros((d, 2 * k)),
            scale=np.zeros((d, latent_dim)),
            crops=0,
            explained=0.0,
            variance_kept=0.0,
        )
        generator = cls(LandmarkDecoder(model), fit)
        generator.fit_info = dict(fit_info or {})
        return generator

    @property
    def latent_dim(self) -> int:
        """Z: the size of a latent."""
        return self.prior.latent_dim

    def forward(self, landmarks: Tensor, latent: Tensor) -> Tensor:
        """Draw images of ``landmarks (B, K, 2)`` (normalised (x, y) in the crop) from ``latent (B, Z)``.

        Returns:
            ``(B, 3, S, S)`` RGB in (0, 1).
        """
        landmarks, latent = landmarks.float(), latent.float()
        return self.decoder(landmarks, self.prior(landmarks, latent))
