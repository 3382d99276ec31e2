"""Landmark-conditioned generation with an exported generator (paper Sec. 4.4, Fig. 11; numpy + onnxruntime).

    from lmsdk.runtime import Generator
    gen = Generator("artifacts/faces-gen")            # an `lmsdk export` of a `lmsdk train-generator` run
    faces = gen.like(cv2.imread("face.jpg"), n=8)    # new faces with the landmarks of that face
    faces.images                                     # (8, S, S, 3) BGR uint8

Landmarks are the artifact's convention: normalised (x, y) in the S x S crop, pixel column i centred at
(i + 0.5) / S (what :attr:`Landmarks.normalized <lmsdk.runtime.Landmarks>` holds). Latents are isotropic
Gaussian draws of the manifest's ``generator.latent_dim`` dimensions; a seed makes them repeatable.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import numpy as np

from lmsdk.errors import InputError
from lmsdk.geometry import Box, crop_resize
from lmsdk.runtime.artifact import Artifact, ArtifactPart, run_in_chunks
from lmsdk.runtime.detector import Detector
from lmsdk.runtime.inputs import as_box, as_image, as_points

MAX_IMAGES = 1024  # per call: a guard against a typo such as n=80000


@dataclass(frozen=True)
class Generation:
    """Images generated with the landmarks of a reference image."""

    images: np.ndarray  # (n, S, S, 3) BGR uint8
    landmarks: np.ndarray  # (K, 2) float32: the condition, normalised (x, y) in the crop
    latent: np.ndarray  # (n, Z) float32: the Gaussian draws, one per image
    reference: np.ndarray  # (S, S, 3) BGR uint8: the reference's crop the landmarks were detected in
    box: Box  # that crop, in pixel-edge coordinates of the reference image


def _count(n: Any) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 1 <= n <= MAX_IMAGES:
        raise InputError(f"n is {n!r}; the number of images is a whole number from 1 to {MAX_IMAGES}")
    return int(n)


def _seed(seed: Any) -> int | None:
    if seed is None:
        return None
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise InputError(f"seed {seed!r}: use a whole number >= 0 (or None for fresh draws)")
    return int(seed)


class Generator(ArtifactPart):
    """Generate images whose landmarks are given (constructor arguments: :class:`~lmsdk.runtime.artifact.
    ArtifactPart`; the artifact must hold a generator, else :class:`~lmsdk.errors.ArtifactError`)."""

    component = "generator"

    def __init__(
        self,
        artifact: str | os.PathLike[str] | Artifact,
        *,
        backend: str = "auto",
        device: str = "cpu",
        precision: str = "fp32",
        threads: int | None = None,
    ) -> None:
        super().__init__(artifact, backend=backend, device=device, precision=precision, threads=threads)
        self._options: dict[str, Any] = {"backend": backend, "device": device, "threads": threads}
        self._detector: Detector | None = None  # opened by the first like()

    @property
    def latent_dim(self) -> int:
        """Z: the size of a latent."""
        assert self.manifest.generator is not None  # the manifest's check ties it to the generator file
        return int(self.manifest.generator["latent_dim"])

    @property
    def size(self) -> int:
        """S: the side of the generated crops."""
        return self.manifest.input.crop_size

    @property
    def num_landmarks(self) -> int:
        return self.manifest.num_landmarks

    def latents(self, n: int = 1, seed: int | None = None) -> np.ndarray:
        """``(n, Z)`` float32 isotropic Gaussian draws (the same for the same ``seed``)."""
        return np.random.default_rng(_seed(seed)).standard_normal((_count(n), self.latent_dim)).astype(np.float32)

    def generate(self, landmarks: Any, n: int = 1, seed: int | None = None, *, latent: Any | None = None) -> np.ndarray:
        """Images with the given landmarks.

        Args:
            landmarks: ``(K, 2)`` normalised (x, y) in the crop (the artifact's convention), or ``(N, K, 2)``.
            n: images per landmark set (one latent each), unless ``latent`` is given.
            seed: makes the latents repeatable.
            latent: ``(n, Z)`` latents to use instead of random ones (the same for every landmark set).

        Returns:
            ``(n, S, S, 3)`` BGR uint8 for one landmark set, ``(N, n, S, S, 3)`` for N.

        Raises:
            InputError: landmarks or latents of another shape or not finite; ``n`` or ``seed`` invalid.
        """
        points, single = as_points(landmarks, (self.num_landmarks, 2), "landmarks")
        if latent is None:
            codes = self.latents(n, seed)
        else:
            codes, _ = as_points(latent, (self.latent_dim,), "latent")
        m = len(codes)
        if len(points) * m > MAX_IMAGES:
            raise InputError(f"{len(points)} landmark sets x {m} latents is over {MAX_IMAGES} images in one call")
        feed = {"landmarks": np.repeat(points, m, axis=0), "latent": np.tile(codes, (len(points), 1))}
        bgr = self.artifact.postprocess(run_in_chunks(self.backend, feed, self.max_batch)["image"])  # (N m, S, S, 3)
        images = bgr.reshape(len(points), m, self.size, self.size, 3)
        return images[0] if single else images

    def like(self, image: np.ndarray, n: int = 8, seed: int | None = None, box: Box | None = None) -> Generation:
        """``n`` images with the landmarks the artifact's detector finds in ``image`` (BGR uint8; grey and BGRA
        accepted) inside ``box`` (default: its largest centred square)."""
        image = as_image(image, "reference")
        box = as_box(box, image=image)
        n, seed = _count(n), _seed(seed)
        if self._detector is None:
            self._detector = Detector(self.artifact, **self._options)
        found = self._detector(image, box)
        assert not isinstance(found, list)
        codes = self.latents(n, seed)
        images = self.generate(found.normalized, latent=codes)
        return Generation(images, found.normalized, codes, crop_resize(image, found.box, self.size), found.box)

    def close(self) -> None:
        super().close()
        if self._detector is not None:
            self._detector.close()
