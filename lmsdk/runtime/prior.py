"""New objects from an artifact's own decoder: descriptors drawn from the prior over its codes, decoded at given
landmarks (numpy + onnxruntime).

``lmsdk export`` fits the prior on the run's training crops and writes it as ``prior.onnx``
(:mod:`lmsdk.model.prior`): ``landmarks (N, K, 2)`` and ``noise (N, Z)`` (isotropic Gaussian draws) ->
``descriptors (N, K + 1, C)``. :class:`PriorDecoder` runs it and the decoder: what
:class:`~lmsdk.runtime.Generator` draws with on an artifact that has no trained generator.
"""

from __future__ import annotations

import os

import numpy as np

from lmsdk.errors import InputError
from lmsdk.runtime.artifact import Artifact, ArtifactPart, run_in_chunks
from lmsdk.runtime.codec import Decoder
from lmsdk.runtime.inputs import as_points
from lmsdk.spec import PRIOR


class CodePrior(ArtifactPart):
    """``prior.onnx``: descriptors of new objects with given landmarks (arguments:
    :class:`~lmsdk.runtime.artifact.ArtifactPart`; the graph is fp32 only)."""

    component = PRIOR

    @property
    def latent_dim(self) -> int:
        """Z: the size of one Gaussian draw."""
        return self.manifest.latent_dim(PRIOR)

    def __call__(self, landmarks: np.ndarray, noise: np.ndarray) -> np.ndarray:
        """``(N, K + 1, C)`` float32 descriptors for ``(N, K, 2)`` normalised landmarks and ``(N, Z)`` draws.

        Raises:
            InputError: shapes other than those, different N, or values that are not finite.
        """
        points, _ = as_points(landmarks, (self.manifest.num_landmarks, 2), "landmarks")
        draws, _ = as_points(noise, (self.latent_dim,), "noise")
        if len(points) != len(draws):
            raise InputError(f"{len(points)} landmark sets but {len(draws)} noise draws")
        return run_in_chunks(self.backend, {"landmarks": points, "noise": draws}, self.max_batch)["descriptors"]


class PriorDecoder:
    """Images from landmarks and Gaussian draws: the prior's descriptors, decoded (see :class:`Decoder` for the
    arguments; the prior, a few matrix products, always runs in onnxruntime on one CPU thread)."""

    def __init__(
        self,
        artifact: str | os.PathLike[str] | Artifact,
        *,
        backend: str = "auto",
        device: str = "cpu",
        precision: str = "fp32",
        threads: int | None = None,
    ) -> None:
        artifact = artifact if isinstance(artifact, Artifact) else Artifact(artifact)
        self.prior = CodePrior(artifact, backend="onnxruntime", threads=1)
        try:
            self.decoder = Decoder(artifact, backend=backend, device=device, precision=precision, threads=threads)
        except BaseException:
            self.prior.close()
            raise

    @property
    def latent_dim(self) -> int:
        return self.prior.latent_dim

    def __call__(self, landmarks: np.ndarray, latent: np.ndarray) -> np.ndarray:
        """``(N, S, S, 3)`` BGR uint8 images for ``(N, K, 2)`` normalised landmarks and ``(N, Z)`` draws."""
        return self.decoder(landmarks, self.prior(landmarks, latent))

    def close(self) -> None:
        self.prior.close()
        self.decoder.close()
