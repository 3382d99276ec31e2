"""Shape editing through the decoder: encode, move landmarks, decode (paper Sec. 4.4, App. A and B.3).

The landmarks are the explicit, disentangled part of the code: moving some of them and decoding with
the same descriptors changes the object's shape near them and leaves its appearance alone.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

import cv2
import numpy as np

from lmsdk.errors import ConfigError, InputError
from lmsdk.geometry import Box, crop_resize
from lmsdk.runtime.artifact import Artifact
from lmsdk.runtime.codec import Code, Decoder, Encoder
from lmsdk.runtime.inputs import as_box, as_image, as_moves

APPEARANCES = ("a", "blend")


@dataclass(frozen=True)
class Edit:
    """An edited crop and what it was made from."""

    image: np.ndarray  # (S, S, 3) BGR uint8: the decoder's output for the moved landmarks
    reconstruction: np.ndarray  # (S, S, 3) BGR uint8: the decoder's output for the original landmarks
    original: np.ndarray  # (S, S, 3) BGR uint8: the input crop
    code: Code  # the input's code
    landmarks: np.ndarray  # (K, 2) float32 normalised crop coordinates after the move


class ShapeEditor:
    """Edit object shapes by moving landmarks; morph between two images (see :class:`Detector` for arguments)."""

    def __init__(
        self,
        artifact: str | os.PathLike[str] | Artifact,
        *,
        backend: str = "auto",
        device: str = "cpu",
        threads: int | None = None,
    ) -> None:
        self.artifact = artifact if isinstance(artifact, Artifact) else Artifact(artifact)
        self.encoder = Encoder(self.artifact, backend=backend, device=device, threads=threads)
        self.decoder = Decoder(self.artifact, backend=backend, device=device, threads=threads)

    @property
    def size(self) -> int:
        return self.decoder.size

    @property
    def num_landmarks(self) -> int:
        return self.artifact.manifest.num_landmarks

    def encode(self, image: np.ndarray, box: Box | None = None) -> Code:
        """The code of a BGR uint8 image inside ``box`` (default: its largest centred square)."""
        return self.encoder(image, box)

    def edit(self, image: np.ndarray, moves: Mapping[int, tuple[float, float]], box: Box | None = None) -> Edit:
        """Move landmarks and re-decode.

        Args:
            image: HxWx3 uint8 BGR.
            moves: ``{k: (dx, dy)}``: landmark ``k`` moves by ``(dx, dy)`` pixels of ``image``.
            box: the crop to edit (default: the largest centred square).

        Raises:
            InputError: a landmark index does not exist or a shift is not two finite numbers (ImageError for
                the image).
        """
        moves = as_moves(moves, self.num_landmarks)
        image = as_image(image)
        code = self.encode(image, as_box(box, image=image))
        target = code.normalized.copy()
        for index, (dx, dy) in moves.items():
            target[index] += np.array([dx / code.box.width, dy / code.box.height], np.float32)
        decoded = self.decoder(
            np.stack([code.normalized, target]), None if code.descriptors is None else np.stack([code.descriptors] * 2)
        )
        original = crop_resize(image, code.box, self.size)
        return Edit(decoded[1], decoded[0], original, code, target)

    def morph(
        self,
        image_a: np.ndarray,
        image_b: np.ndarray,
        steps: int = 30,
        *,
        box_a: Box | None = None,
        box_b: Box | None = None,
        appearance: str = "a",
    ) -> list[np.ndarray]:
        """Frames that move A's landmarks linearly onto B's (App. A, B.3).

        Args:
            steps: number of frames, both ends included.
            appearance: whose descriptors to decode with: ``"a"`` (A's appearance, B's shape at the end) or
                ``"blend"`` (descriptors interpolated too).

        Returns:
            ``steps`` BGR uint8 crops of side S.
        """
        if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 2:
            raise InputError(f"a morph needs at least 2 frames (both ends), got {steps!r}")
        if appearance not in APPEARANCES:
            raise ConfigError(f"appearance {appearance!r}: one of {', '.join(APPEARANCES)}")
        image_a, image_b = as_image(image_a, "image_a"), as_image(image_b, "image_b")
        a = self.encode(image_a, as_box(box_a, "box_a", image_a))
        b = self.encode(image_b, as_box(box_b, "box_b", image_b))
        t = np.linspace(0.0, 1.0, steps, dtype=np.float32)[:, None, None]
        landmarks = (1 - t) * a.normalized + t * b.normalized
        descriptors = None
        if a.descriptors is not None and b.descriptors is not None:
            descriptors = (
                np.repeat(a.descriptors[None], steps, 0)
                if appearance == "a"
                else ((1 - t) * a.descriptors + t * b.descriptors)
            )
        return list(self.decoder(landmarks, descriptors))

    def paste(self, frame: np.ndarray, crop: np.ndarray, box: Box, feather: float = 0.12) -> np.ndarray:
        """Put a decoded crop back into the frame region ``box`` with a feathered edge (for video editing)."""
        frame, crop = as_image(frame, "frame"), as_image(crop, "crop")
        box = as_box(box, image=frame)
        if box is None:
            raise InputError("paste needs the box the crop came from")
        if not 0 < feather <= 0.5:
            raise InputError(f"feather {feather!r}: a fraction of the crop side in (0, 0.5]")
        h, w = frame.shape[:2]
        # Map crop pixels onto the frame: frame pixel (x, y) <- crop pixel ((x + 0.5 - left) * S / width - 0.5).
        s = crop.shape[0]
        matrix = np.array(
            [
                [box.width / s, 0, box.left + 0.5 * box.width / s - 0.5],
                [0, box.height / s, box.top + 0.5 * box.height / s - 0.5],
            ],
            np.float64,
        )
        warped = cv2.warpAffine(crop, matrix, (w, h), flags=cv2.INTER_LINEAR)
        ramp = np.minimum(np.arange(s) + 0.5, s - np.arange(s) - 0.5) / (feather * s)
        edge = np.clip(np.minimum.outer(ramp, ramp), 0, 1).astype(np.float32)
        mask = cv2.warpAffine(edge, matrix, (w, h), flags=cv2.INTER_LINEAR)[..., None]
        return (frame * (1 - mask) + warped * mask).round().astype(np.uint8)

    def edit_frame(self, frame: np.ndarray, box: Box, moves: Mapping[int, tuple[float, float]]) -> np.ndarray:
        """``frame`` with the object in ``box`` re-decoded with its landmarks moved and pasted back (video editing).

        ``moves`` are in pixels of an S x S crop, so an edit keeps its size relative to the object as the object
        moves nearer or further.
        """
        box = as_box(box)
        if box is None:
            raise InputError("edit_frame needs the box of the object (e.g. a TrackResult's box)")
        scale = box.width / self.size
        result = self.edit(
            frame, {k: (dx * scale, dy * scale) for k, (dx, dy) in as_moves(moves, self.num_landmarks).items()}, box
        )
        return self.paste(frame, result.image, box)

    def close(self) -> None:
        self.encoder.close()
        self.decoder.close()
