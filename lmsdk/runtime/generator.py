"""Landmark-conditioned generation (paper Sec. 4.4, Fig. 11; numpy + onnxruntime).

    from lmsdk.runtime import Generator
    gen = Generator("artifacts/faces")               # any `lmsdk export` of a model with descriptors
    faces = gen.like(cv2.imread("face.jpg"), n=8)    # new faces with the landmarks of that face
    faces.images                                     # (8, S, S, 3) BGR uint8

Two sources draw the images (``source=``): a trained generator (``generator.onnx``, exported from an
``lmsdk train-generator`` run), or the artifact's own decoder fed descriptors drawn from the prior over its
codes (``prior.onnx``, fitted at export on the run's training crops; :mod:`lmsdk.runtime.prior`). ``"auto"``
takes the generator where the artifact has one, else the prior.

Landmarks are the artifact's convention: normalised (x, y) in the S x S crop, pixel column i centred at
(i + 0.5) / S (what :attr:`Landmarks.normalized <lmsdk.runtime.Landmarks>` holds). Latents are isotropic
Gaussian draws of the source's ``latent_dim`` dimensions, scaled by ``temperature``; a seed makes them repeatable.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Any

import numpy as np

from lmsdk.errors import ArtifactError, ConfigError, InputError
from lmsdk.geometry import Box, crop_resize
from lmsdk.runtime.artifact import Artifact, ArtifactPart, run_in_chunks
from lmsdk.runtime.detector import Detector
from lmsdk.runtime.inputs import as_box, as_image, as_points
from lmsdk.runtime.prior import PriorDecoder
from lmsdk.spec import GENERATOR, PRIOR

MAX_IMAGES = 1024  # per call: a guard against a typo such as n=80000
SOURCES = ("auto", GENERATOR, PRIOR)


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


def _temperature(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating)) or not 0 < value < math.inf:
        raise InputError(f"temperature {value!r}: the latents' standard deviation, a number > 0 (1: the fitted law)")
    return float(value)


def pick_source(artifact: Artifact, source: str) -> str:
    """``"generator"`` or ``"prior"``: what draws the images of ``artifact`` for ``source`` (one of
    :data:`SOURCES`; ``"auto"``: the generator where there is one, else the prior).

    Raises:
        ConfigError: an unknown ``source``.
        ArtifactError: the artifact lacks what was asked for (with ``"auto"``: both).
    """
    if source not in SOURCES:
        raise ConfigError(f"source {source!r}: one of {', '.join(SOURCES)}")
    if source != "auto":
        return source  # opening it names what is missing (Artifact.model_entry)
    files = artifact.manifest.files
    if GENERATOR in files or PRIOR in files:
        return GENERATOR if GENERATOR in files else PRIOR
    raise ArtifactError(
        f"{artifact.directory}: the artifact has neither a generator nor a prior over its codes (exported by an "
        "earlier lmsdk, or its model has no descriptors); re-export the run with this lmsdk"
    )


class GeneratorGraph(ArtifactPart):
    """``generator.onnx``, a trained generator (arguments: :class:`~lmsdk.runtime.artifact.ArtifactPart`)."""

    component = GENERATOR

    @property
    def latent_dim(self) -> int:
        """Z: the size of a latent."""
        return self.manifest.latent_dim(GENERATOR)

    def __call__(self, landmarks: np.ndarray, latent: np.ndarray) -> np.ndarray:
        """``(N, S, S, 3)`` BGR uint8 images for checked ``(N, K, 2)`` landmarks and ``(N, Z)`` latents."""
        feed = {"landmarks": landmarks, "latent": latent}
        return self.artifact.postprocess(run_in_chunks(self.backend, feed, self.max_batch)["image"])


class Generator:
    """Generate images whose landmarks are given.

    Args:
        artifact: an artifact directory written by ``lmsdk export`` (or an opened :class:`Artifact`).
        source: ``"auto"``, ``"generator"`` (a trained generator) or ``"prior"`` (the decoder fed the prior's
            descriptors); see the module docstring.
        backend, device, precision, threads: as for :class:`~lmsdk.runtime.artifact.ArtifactPart` (the graph
            that draws the images, and the detector of :meth:`like`).

    Raises:
        ArtifactError: the artifact lacks the source asked for.
    """

    def __init__(
        self,
        artifact: str | os.PathLike[str] | Artifact,
        *,
        source: str = "auto",
        backend: str = "auto",
        device: str = "cpu",
        precision: str = "fp32",
        threads: int | None = None,
    ) -> None:
        self.artifact = artifact if isinstance(artifact, Artifact) else Artifact(artifact)
        self.manifest = self.artifact.manifest
        self.source = pick_source(self.artifact, source)
        self._options: dict[str, Any] = {"backend": backend, "device": device, "threads": threads}
        drawer = GeneratorGraph if self.source == GENERATOR else PriorDecoder
        self._draw = drawer(self.artifact, precision=precision, **self._options)
        self._detector: Detector | None = None  # opened by the first like()

    @property
    def latent_dim(self) -> int:
        """Z: the size of a latent."""
        return self._draw.latent_dim

    @property
    def size(self) -> int:
        """S: the side of the generated crops."""
        return self.manifest.input.crop_size

    @property
    def num_landmarks(self) -> int:
        return self.manifest.num_landmarks

    def latents(self, n: int = 1, seed: int | None = None, temperature: float = 1.0) -> np.ndarray:
        """``(n, Z)`` float32 isotropic Gaussian draws of standard deviation ``temperature`` (the same for the same
        ``seed``)."""
        draws = np.random.default_rng(_seed(seed)).standard_normal((_count(n), self.latent_dim))
        return (draws * _temperature(temperature)).astype(np.float32)

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
        bgr = self._draw(np.repeat(points, m, axis=0), np.tile(codes, (len(points), 1)))  # (N m, S, S, 3)
        images = bgr.reshape(len(points), m, self.size, self.size, 3)
        return images[0] if single else images

    def like(
        self, image: np.ndarray, n: int = 8, seed: int | None = None, box: Box | None = None, temperature: float = 1.0
    ) -> Generation:
        """``n`` images with the landmarks the artifact's detector finds in ``image`` (BGR uint8; grey and BGRA
        accepted) inside ``box`` (default: its largest centred square), from latents of standard deviation
        ``temperature``."""
        image = as_image(image, "reference")
        box = as_box(box, image=image)
        n, seed, temperature = _count(n), _seed(seed), _temperature(temperature)
        if self._detector is None:
            self._detector = Detector(self.artifact, **self._options)
        found = self._detector(image, box)
        codes = self.latents(n, seed, temperature)
        images = self.generate(found.normalized, latent=codes)
        return Generation(images, found.normalized, codes, crop_resize(image, found.box, self.size), found.box)

    def close(self) -> None:
        self._draw.close()
        if self._detector is not None:
            self._detector.close()

    def __enter__(self) -> Generator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
