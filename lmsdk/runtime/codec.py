"""The two halves of the autoencoder at run time: image -> (landmarks, descriptors) -> image."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lmsdk.errors import InputError
from lmsdk.geometry import Box, crop_to_image
from lmsdk.runtime.artifact import ArtifactPart, run_in_chunks
from lmsdk.runtime.inputs import as_box, as_image, as_points


@dataclass(frozen=True)
class Code:
    """An image's code: where its landmarks are and what their descriptors say."""

    normalized: np.ndarray  # (K, 2) float32 landmarks, normalised (x, y) in the crop
    descriptors: np.ndarray | None  # (K + 1, C) float32 (last row: background); None without descriptors
    box: Box  # the crop, in pixel-edge coordinates of the image
    points: np.ndarray  # (K, 2) float32 landmarks in OpenCV pixels of the image


class Encoder(ArtifactPart):
    """Landmarks and descriptors of BGR uint8 images (arguments: :class:`~lmsdk.runtime.artifact.ArtifactPart`)."""

    component = "encoder"

    def __call__(self, image: np.ndarray, box: Box | None = None) -> Code:
        """Encode one BGR uint8 image (grey and BGRA accepted) inside ``box`` (default: its largest centred
        square)."""
        image = as_image(image)
        box = as_box(box, image=image) or Box.centered_square(image.shape[1], image.shape[0])
        out = self.backend.run({"image": self.artifact.preprocess(image, box)[None]})
        lm = out["landmarks"][0].astype(np.float32)
        desc = out["descriptors"][0].astype(np.float32) if "descriptors" in out else None
        return Code(lm, desc, box, crop_to_image(lm, box).astype(np.float32))


class Decoder(ArtifactPart):
    """Render images from landmarks and descriptors; the Gaussian heatmaps are drawn inside the graph."""

    component = "decoder"

    @property
    def size(self) -> int:
        """Side S of the decoded crop in pixels."""
        return self.artifact.manifest.input.crop_size

    def __call__(self, landmarks: np.ndarray, descriptors: np.ndarray | None = None) -> np.ndarray:
        """Decode ``(K, 2)`` or ``(N, K, 2)`` normalised landmarks (+ ``(…, K + 1, C)`` descriptors).

        Returns:
            ``(S, S, 3)`` or ``(N, S, S, 3)`` BGR uint8 crops.

        Raises:
            InputError: the landmarks or descriptors have another shape, hold NaN or infinity, or the model
                needs descriptors and got none (or the reverse).
        """
        k, c = self.manifest.num_landmarks, self.manifest.descriptor_dim
        points, single = as_points(landmarks, (k, 2), "landmarks")
        feed = {"landmarks": points}
        if "descriptors" in self.backend.input_names:
            if descriptors is None:
                raise InputError("this model decodes from landmarks and descriptors; pass the descriptors")
            codes, _ = as_points(descriptors, (k + 1, c), "descriptors")
            if len(codes) != len(points):
                raise InputError(f"{len(points)} landmark sets but {len(codes)} descriptor sets")
            feed["descriptors"] = codes
        elif descriptors is not None:
            raise InputError("this model decodes from landmarks only; pass descriptors=None")
        bgr = self.artifact.postprocess(run_in_chunks(self.backend, feed, self.max_batch)["image"])  # (N, S, S, 3)
        return bgr[0] if single else bgr
