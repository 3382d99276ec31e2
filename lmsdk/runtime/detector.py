"""Landmark detection on OpenCV images with an exported model (numpy + onnxruntime, no torch)."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from lmsdk.errors import ArtifactError, InputError
from lmsdk.geometry import Box, crop_to_image
from lmsdk.runtime.artifact import Artifact, ArtifactPart, run_in_chunks
from lmsdk.runtime.inputs import as_box, as_image, describe
from lmsdk.spec import DETECTORS, TRACKER


@dataclass(frozen=True)
class Landmarks:
    """The landmarks found in one image.

    ``points`` are the K discovered landmarks; ``named`` the P points the artifact was taught by labels (for the
    shipped face models: ``left_eye``, ``right_eye``, ``nose``, ``mouth_left``, ``mouth_right``, image-left
    first), regressed from the discovered ones; ``names`` names them.
    """

    points: np.ndarray  # (K, 2) float32, (x, y) OpenCV pixel coordinates of the image passed in
    confidence: np.ndarray  # (K,) float32 in [0, 1]: the peak probability of each landmark's detection map
    box: Box  # the crop the model saw, in pixel-edge coordinates of the image
    normalized: np.ndarray  # (K, 2) float32, the model's own frame: normalised (x, y) in the crop
    named: np.ndarray | None = None  # (P, 2) float32 pixels of the image: the labelled points, when exported with them
    names: tuple[str, ...] = ()  # (P,) the names of the rows of ``named``

    @property
    def score(self) -> float:
        """Mean confidence over landmarks."""
        return float(self.confidence.mean())

    def point(self, name: str) -> np.ndarray:
        """``(2,)`` float32 pixels of the named point ``name`` (e.g. ``"left_eye"``)."""
        if self.named is None or name not in self.names:
            known = ", ".join(self.names) or "none: the artifact was exported without labels"
            raise InputError(f"no named point {name!r} (named points: {known})")
        return self.named[self.names.index(name)]

    def to_dict(self) -> dict[str, object]:
        """JSON-ready: ``points``, ``confidence``, ``box`` (x0, y0, x1, y1), ``normalized`` and, with named points,
        ``named`` as ``{name: [x, y]}`` in pixels of the image."""
        out: dict[str, object] = {
            "points": self.points.tolist(),
            "confidence": self.confidence.tolist(),
            "box": list(self.box.to_xyxy()),
            "normalized": self.normalized.tolist(),
        }
        if self.named is not None:
            out["named"] = {name: xy.tolist() for name, xy in zip(self.names, self.named, strict=True)}
        return out


def landmarks_from_outputs(
    outputs: Mapping[str, np.ndarray], index: int, box: Box, names: tuple[str, ...], copy: bool = False
) -> Landmarks:
    """Row ``index`` of a detector graph's outputs (``landmarks (N, K, 2)``, ``confidence (N, K)`` [, ``named
    (N, P, 2)``]), the crop ``box`` it saw, as :class:`Landmarks` in pixels of the image: the one place that
    turns a detector's outputs into landmarks. ``copy``: the outputs are buffers that will be reused."""
    normalized = outputs["landmarks"][index]
    named = outputs.get("named")
    return Landmarks(
        crop_to_image(normalized, box).astype(np.float32),
        outputs["confidence"][index].astype(np.float32, copy=copy),
        box,
        normalized.astype(np.float32, copy=copy),
        None if named is None else crop_to_image(named[index], box).astype(np.float32),
        names if named is not None else (),
    )


class Detector(ArtifactPart):
    """Find the K landmarks of an exported model in BGR uint8 images of any size.

    Images may also be grey (``HxW``) or BGRA; views such as ``image[:, ::-1]`` are fine. Anything else
    (None, a path string, float arrays, empty images) raises :class:`~lmsdk.errors.ImageError`, and an
    invalid box (or one lying wholly outside its image) :class:`~lmsdk.errors.InputError`; a box partly outside
    is padded with zeros.

    Args:
        artifact: an artifact directory, the name of a shipped model (``"faces"``) or an opened ``Artifact``.
        graph: ``"detector"`` (the default: the artifact's most accurate detector) or ``"tracker"`` (the distilled
            lite detector a distilled run's artifact carries for video; :class:`~lmsdk.runtime.Tracker` picks it).
        Other arguments: see :class:`~lmsdk.runtime.artifact.ArtifactPart`.

    Example:
        >>> det = Detector("faces")                 # doctest: +SKIP
        >>> res = det(cv2.imread("face.jpg"))       # doctest: +SKIP
        >>> res.points, res.point("left_eye")       # (K, 2) and (2,) pixels of the image
    """

    component = "detector"

    def __init__(
        self,
        artifact: str | os.PathLike[str] | Artifact,
        *,
        graph: str = "detector",
        backend: str = "auto",
        device: str = "cpu",
        precision: str = "fp32",
        threads: int | None = None,
    ) -> None:
        if graph not in DETECTORS:
            raise ArtifactError(f"graph {graph!r}: one of {', '.join(DETECTORS)}")
        self.component = graph
        super().__init__(artifact, backend=backend, device=device, precision=precision, threads=threads)

    @classmethod
    def for_tracking(
        cls,
        artifact: str | os.PathLike[str] | Artifact,
        *,
        precision: str = "auto",
        backend: str = "auto",
        device: str = "cpu",
        threads: int | None = None,
    ) -> Detector:
        """The detector video should run: the artifact's ``tracker`` graph (a distilled lite detector) when it has
        one, else its detector. ``precision="auto"`` takes that graph's int8 variant on the CPU where it was
        exported (gated at export against the fp32 graph), else fp32."""
        opened = artifact if isinstance(artifact, Artifact) else Artifact(artifact)
        graph = TRACKER if opened.has_tracker else "detector"
        if precision == "auto":
            int8 = f"{graph}.int8" in opened.manifest.files and device == "cpu" and backend != "tensorrt"
            precision = "int8" if int8 else "fp32"
        return cls(opened, graph=graph, precision=precision, backend=backend, device=device, threads=threads)

    @property
    def graph(self) -> str:
        """Which of the artifact's detector graphs runs: ``"detector"`` or ``"tracker"``."""
        return self.component

    @property
    def num_landmarks(self) -> int:
        return self.manifest.num_landmarks

    @property
    def named_points(self) -> list[str]:
        """Names of the points the artifact regresses from its landmarks (empty without labels at export)."""
        return list(self.manifest.named_points["names"]) if self.manifest.named_points else []

    def __call__(self, image: np.ndarray, box: Box | None = None) -> Landmarks:
        """Detect landmarks in one image.

        Args:
            image: a BGR uint8 image ``HxWx3`` (grey and BGRA accepted), any size.
            box: the crop to look in, pixel-edge coordinates of the image; default the largest centred square.

        Returns:
            :class:`Landmarks` in pixels of ``image``. Batches: :meth:`batch`.
        """
        if isinstance(image, (list, tuple)) or (isinstance(image, np.ndarray) and image.ndim == 4):
            raise InputError(f"image is {describe(image)}: pass one image, or use Detector.batch for several")
        return self.batch([image], [box])[0]

    def detect_boxes(self, image: np.ndarray, boxes: Sequence[Box]) -> list[Landmarks]:
        """Landmarks inside each of several boxes of one image (one batched model call)."""
        image = as_image(image)
        return self.batch([image] * len(boxes), boxes)

    def batch(
        self, images: Sequence[np.ndarray] | np.ndarray, boxes: Sequence[Box | None] | None = None
    ) -> list[Landmarks]:
        """Landmarks of each image (a list, or an ``NxHxWx3`` array) inside its box (``None``, or no ``boxes``:
        the largest centred square of each), in batched model calls."""
        images = list(images)
        boxes = [None] * len(images) if boxes is None else list(boxes)
        if len(images) != len(boxes):
            raise InputError(f"{len(boxes)} boxes for {len(images)} images: pass one per image")
        images = [as_image(im, f"images[{i}]" if len(images) > 1 else "image") for i, im in enumerate(images)]
        boxes = [
            as_box(b, f"boxes[{i}]" if len(boxes) > 1 else "box", im) or Box.centered_square(im.shape[1], im.shape[0])
            for i, (im, b) in enumerate(zip(images, boxes, strict=True))
        ]
        if not boxes:
            return []
        batch = np.stack([self.artifact.preprocess(im, b) for im, b in zip(images, boxes, strict=True)])
        out = run_in_chunks(self.backend, {"image": batch}, self.max_batch)
        names = tuple(self.named_points)
        return [landmarks_from_outputs(out, i, b, names) for i, b in enumerate(boxes)]
