"""The landmark autoencoder: detector + descriptor encoder + decoder, composed (paper Fig. 1)."""

from __future__ import annotations

from typing import NamedTuple

from torch import Tensor, nn

from lmsdk.model.config import ModelConfig
from lmsdk.model.decoder import LandmarkDecoder
from lmsdk.model.detector import Detection, LandmarkDetector
from lmsdk.model.encoder import DescriptorEncoder
from lmsdk.model.lite import LiteDetector
from lmsdk.ops.padding import mean_edge_pad


class Encoding(NamedTuple):
    """What the encoder half produces for B images."""

    points: Tensor  # (B, K, 2) normalised (x, y), crop frame
    spread: Tensor  # (B, K, 2) normalised std of each detection map, crop frame
    probs: Tensor  # (B, K + 1, h, w) detection maps (last channel: background)
    descriptors: Tensor | None  # (B, K + 1, C), None for a model without descriptors


class AutoencoderOutput(NamedTuple):
    """A training forward pass: an :class:`Encoding` of every image, and reconstructions of the first few."""

    encoding: Encoding
    reconstruction: Tensor  # (n_decode, 3, S, S) RGB in (0, 1)


class LandmarkAutoencoder(nn.Module):
    """Discover K landmarks by autoencoding images through them.

    Images are square RGB crops ``(B, 3, S, S)`` in ``[0, 1]`` (S = ``config.crop_size``); the model pads
    them itself (:func:`~lmsdk.ops.mean_edge_pad`). Landmarks are normalised ``(x, y)`` in the crop frame.
    """

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        self.detector = LandmarkDetector(config)
        self.encoder = DescriptorEncoder(config) if config.has_descriptors else None
        self.decoder = LandmarkDecoder(config)
        self.apply(_glorot_init)
        self.lite = (
            None
            if config.lite is None
            else LiteDetector(config.num_landmarks, config.crop_size, config.padded_size, config.lite)
        )

    def pad(self, crops: Tensor, padded_size: int | None = None) -> Tensor:
        """``(B, 3, S, S)`` crops -> ``(B, 3, P, P)`` mean-edge padded model inputs (P: the configured size)."""
        return mean_edge_pad(crops, padded_size or self.config.padded_size)

    def encode_padded(self, padded: Tensor, crop_size: int | None = None) -> Encoding:
        """Landmarks and descriptors of ``(B, 3, P, P)`` padded images (``crop_size``: see :meth:`forward`)."""
        det: Detection = self.detector(padded, crop_size)
        descriptors = self.encoder(padded, det.probs) if self.encoder is not None else None
        return Encoding(det.points, det.spread, det.probs, descriptors)

    def encode(self, crops: Tensor) -> Encoding:
        """Landmarks and descriptors of ``(B, 3, S, S)`` crops."""
        return self.encode_padded(self.pad(crops))

    def detect(self, crops: Tensor) -> Detection:
        """Landmarks of ``(B, 3, S, S)`` crops without the descriptor pathway (a fraction of ``encode``'s cost);
        by the lite detector when the model has one (see :class:`~lmsdk.model.config.LiteSpec`)."""
        padded = self.pad(crops)
        return self.detector(padded) if self.lite is None else self.lite(padded)

    def decode(self, points: Tensor, descriptors: Tensor | None) -> Tensor:
        """Images ``(B, 3, S, S)`` from landmarks ``(B, K, 2)`` and descriptors ``(B, K + 1, C)``."""
        return self.decoder(points, descriptors)

    def forward(self, padded: Tensor, n_decode: int | None = None, crop_size: int | None = None) -> AutoencoderOutput:
        """Encode every padded image ``(N, 3, P, P)`` and reconstruct the first ``n_decode`` (default all).

        Training passes the originals and their warped copies as one batch so that BatchNorm sees both,
        and reconstructs only the originals. ``crop_size`` is the side of the crop inside the padding when
        the images are not at the configured size (a resolution curriculum); reconstructions have that side.
        """
        enc = self.encode_padded(padded, crop_size)
        n = enc.points.shape[0] if n_decode is None else n_decode
        descriptors = enc.descriptors[:n] if enc.descriptors is not None else None
        return AutoencoderOutput(enc, self.decoder(enc.points[:n], descriptors, crop_size))


def _glorot_init(module: nn.Module) -> None:
    if isinstance(module, nn.Conv2d):
        nn.init.xavier_uniform_(module.weight)
