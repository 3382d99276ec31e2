"""Landmark detection on OpenCV images with an exported model (numpy + onnxruntime, no torch)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from lmsdk.errors import InputError
from lmsdk.geometry import Box, crop_to_image
from lmsdk.runtime.artifact import ArtifactPart, run_in_chunks
from lmsdk.runtime.inputs import as_box, as_image, is_single_image


@dataclass(frozen=True)
class Landmarks:
    """The landmarks found in one image."""

    points: np.ndarray  # (K, 2) float32, (x, y) OpenCV pixel coordinates of the image passed in
    confidence: np.ndarray  # (K,) float32 in [0, 1]: the peak probability of each landmark's detection map
    box: Box  # the crop the model saw, in pixel-edge coordinates of the image
    normalized: np.ndarray  # (K, 2) float32, the model's own frame: normalised (x, y) in the crop
    named: np.ndarray | None = None  # (P, 2) float32 pixels: the user's points, when exported with labels

    @property
    def score(self) -> float:
        """Mean confidence over landmarks."""
        return float(self.confidence.mean())

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {
            "points": self.points.tolist(),
            "confidence": self.confidence.tolist(),
            "box": list(self.box.to_xyxy()),
            "normalized": self.normalized.tolist(),
        }
        if self.named is not None:
            out["named"] = self.named.tolist()
        return out


ImageInput = np.ndarray | Sequence[np.ndarray]


class Detector(ArtifactPart):
    """Find the K landmarks of an exported model in BGR uint8 images of any size.

    Images may also be grey (``HxW``) or BGRA; views such as ``image[:, ::-1]`` are fine. Anything else
    (None, a path string, float arrays, empty images) raises :class:`~lmsdk.errors.ImageError`, and an
    invalid box (or one lying wholly outside its image) :class:`~lmsdk.errors.InputError`; a box partly outside
    is padded with zeros.

    Constructor arguments: see :class:`~lmsdk.runtime.artifact.ArtifactPart`.

    Example:
        >>> det = Detector("artifacts/faces")  # doctest: +SKIP
        >>> res = det(cv2.imread("face.jpg"))   # doctest: +SKIP
        >>> res.points                          # (K, 2) pixels of the image
    """

    component = "detector"

    @property
    def num_landmarks(self) -> int:
        return self.manifest.num_landmarks

    @property
    def named_points(self) -> list[str]:
        """Names of the points the artifact regresses from its landmarks (empty without labels at export)."""
        return list(self.manifest.named_points["names"]) if self.manifest.named_points else []

    def __call__(self, images: ImageInput, box: Box | Sequence[Box] | None = None) -> Landmarks | list[Landmarks]:
        """Detect landmarks in one image (``HxWx3``) or a batch (``NxHxWx3`` array or a list of images).

        Args:
            images: BGR uint8 image(s), any size.
            box: the crop to look in (one for all, or one per image); default the largest centred square of
                each image. A list of boxes with a single image detects in each box of that image.

        Returns:
            :class:`Landmarks` for a single image and box, a list otherwise.
        """
        single = is_single_image(images)
        several_boxes = isinstance(box, (list, tuple))
        if single and several_boxes:
            return self.detect_boxes(images, list(box))  # one image, several boxes
        batch = [images] if single else list(images)
        boxes = list(box) if several_boxes else [box] * len(batch)
        if len(boxes) != len(batch):
            raise InputError(f"{len(boxes)} boxes for {len(batch)} images: pass one box, or one per image")
        results = self.detect_batch(batch, boxes)
        return results[0] if single else results

    def detect_boxes(self, image: np.ndarray, boxes: Sequence[Box]) -> list[Landmarks]:
        """Landmarks inside each of several boxes of one image (one batched model call)."""
        image = as_image(image)
        return self.detect_batch([image] * len(boxes), boxes)

    def detect_batch(self, images: Sequence[np.ndarray], boxes: Sequence[Box | None]) -> list[Landmarks]:
        """Landmarks of each image inside its box (``None``: the largest centred square)."""
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
        named = out.get("named", [None] * len(boxes))
        return [
            Landmarks(
                crop_to_image(p, b).astype(np.float32),
                c.astype(np.float32),
                b,
                p.astype(np.float32),
                None if q is None else crop_to_image(q, b).astype(np.float32),
            )
            for p, c, q, b in zip(out["landmarks"], out["confidence"], named, boxes, strict=True)
        ]
