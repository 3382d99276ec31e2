"""Export-only modules: the graphs that go into ONNX, built around a trained autoencoder.

They are not used for training and the model carries no export flags (the SAM ``SamOnnxModel`` pattern).
Each takes the **crop** in ``[0, 1]`` RGB and pads it inside the graph, so a runtime only crops, resizes
and scales, and the decoder renders its Gaussian heatmaps inside the graph, so editing a shape is
"move points, run the decoder".
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import torch
from torch import Tensor, nn

from lmsdk.model.autoencoder import LandmarkAutoencoder


class DetectorGraph(nn.Module):
    """``image (N, 3, S, S)`` -> ``landmarks (N, K, 2)``, ``confidence (N, K)`` [, ``named (N, P, 2)``].

    Confidence of landmark k: the largest probability its detection map gives any pixel (how sure the
    detector is that *some* pixel is landmark k); near 1 on a well-framed object, low on clutter.
    With a ``regressor`` (``(2K, 2P)``) and its ``bias`` (``(2P,)``; fitted on a few labelled images by
    :mod:`lmsdk.eval.ridge`) the graph also outputs the user's named points,
    ``named = (landmarks - 0.5) @ regressor + bias + 0.5``, so the artifact detects the points they care about.
    ``tracker``: the model's distilled lite detector (``model.lite``) instead of its hourglass detector.
    """

    def __init__(
        self,
        model: LandmarkAutoencoder,
        regressor: Tensor | None = None,
        bias: Tensor | None = None,
        *,
        tracker: bool = False,
    ) -> None:
        super().__init__()
        if tracker and model.lite is None:
            raise ValueError("a tracker graph needs a model with a distilled lite detector")
        self.model = model
        self.tracker = tracker
        self.regressor = None if regressor is None else nn.Parameter(regressor.float(), requires_grad=False)
        if regressor is not None and bias is None:
            bias = torch.zeros(regressor.shape[1])
        self.bias = None if bias is None else nn.Parameter(bias.float(), requires_grad=False)

    def forward(self, image: Tensor) -> tuple[Tensor, ...]:
        padded = self.model.pad(image)
        det = self.model.lite(padded) if self.tracker else self.model.detector(padded)
        confidence = det.confidence
        if self.regressor is None:
            return det.points, confidence
        named = ((det.points - 0.5).flatten(1) @ self.regressor + self.bias).view(image.shape[0], -1, 2) + 0.5
        return det.points, confidence, named


class EncoderGraph(nn.Module):
    """``image (N, 3, S, S)`` -> ``landmarks (N, K, 2)``, ``descriptors (N, K + 1, C)``."""

    def __init__(self, model: LandmarkAutoencoder) -> None:
        super().__init__()
        self.model = model

    def forward(self, image: Tensor) -> tuple[Tensor, Tensor] | Tensor:
        enc = self.model.encode(image)
        if enc.descriptors is None:
            return enc.points
        return enc.points, enc.descriptors


class DecoderGraph(nn.Module):
    """``landmarks (N, K, 2)``, ``descriptors (N, K + 1, C)`` -> ``image (N, 3, S, S)`` in ``(0, 1)``."""

    def __init__(self, model: LandmarkAutoencoder) -> None:
        super().__init__()
        self.model = model

    def forward(self, landmarks: Tensor, descriptors: Tensor | None = None) -> Tensor:
        return self.model.decode(landmarks, descriptors)


def example_inputs(
    model: LandmarkAutoencoder, component: str, batch: int, generator: torch.Generator | None = None
) -> tuple[Tensor, ...]:
    """Random inputs of the right shapes for ``component`` (images in [0, 1], landmarks inside the crop)."""
    cfg = model.config
    s, k = cfg.crop_size, cfg.num_landmarks
    if component in ("detector", "tracker", "encoder"):
        return (torch.rand(batch, 3, s, s, generator=generator),)
    points = 0.2 + 0.6 * torch.rand(batch, k, 2, generator=generator)
    if not cfg.has_descriptors:
        return (points,)
    return points, torch.randn(batch, k + 1, cfg.descriptor_dim, generator=generator)


GRAPHS: dict[str, Callable[[LandmarkAutoencoder], nn.Module]] = {
    "detector": DetectorGraph,
    "tracker": partial(DetectorGraph, tracker=True),  # a distilled model's lite detector
    "encoder": EncoderGraph,
    "decoder": DecoderGraph,
}


def io_names(model: LandmarkAutoencoder, component: str, named: bool = False) -> tuple[list[str], list[str]]:
    """Input and output tensor names of a component's graph."""
    desc = model.config.has_descriptors
    return {
        "detector": (["image"], ["landmarks", "confidence", "named"] if named else ["landmarks", "confidence"]),
        "tracker": (["image"], ["landmarks", "confidence", "named"] if named else ["landmarks", "confidence"]),
        "encoder": (["image"], ["landmarks", "descriptors"] if desc else ["landmarks"]),
        "decoder": (["landmarks", "descriptors"] if desc else ["landmarks"], ["image"]),
    }[component]
