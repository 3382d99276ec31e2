"""The landmark-conditioned generator of paper Sec. 4.4 / App. G.5: Gaussian latent + landmarks -> image.

Following App. G.5 (after Reed et al.), two streams meet at a fusion resolution ``F``: transposed convolutions
grow a feature map from the isotropic Gaussian latent ``z``, and strided convolutions shrink the landmarks,
rendered as the decoder's detection maps (the same Gaussians, scales and normalisation as
:class:`~lmsdk.model.decoder.LandmarkDecoder`), to a map of the same size. The two are fused by element-wise
multiplication and channel concatenation, ``[latent * landmarks, latent, landmarks]``, and decoded up to the
crop. lmsdk's one addition (``inject_maps``): every upsampling stage also sees the rendered maps at its own
resolution, so the generated parts can sit where the landmarks are without the network having to carry
positions through the bottleneck.

No normalisation layers (as in BEGAN): the exported generator is the trained one, with no batch statistics.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from lmsdk.configio import from_dict, to_dict
from lmsdk.errors import ConfigError
from lmsdk.model.config import ModelConfig
from lmsdk.ops.heatmaps import render_gaussians


@dataclass(frozen=True)
class GeneratorSpec:
    """A generator's widths as values.

    ``landmark_widths``: one stride-2 3x3 conv per entry on the maps rendered at the crop side S, so the fusion
    side is ``F = S / 2**len(landmark_widths)``. ``latent_widths``: a linear map of ``z`` to ``latent_widths[0]``
    channels at ``F / 2**(len - 1)``, then one stride-2 transposed conv per further entry up to F; its last width
    equals the landmark stream's (they are multiplied). ``decoder_widths``: one x2 upsampling stage (two 3x3
    convs) per entry, as many as landmark stages, back to S; then a 3x3 conv to RGB and a sigmoid.
    """

    latent_dim: int = 64
    latent_widths: tuple[int, ...] = (128, 96, 64)
    landmark_widths: tuple[int, ...] = (32, 64)
    decoder_widths: tuple[int, ...] = (48, 24)
    inject_maps: bool = True  # the rendered maps join every upsampling stage (lmsdk's addition to App. G.5)

    def __post_init__(self) -> None:
        if self.latent_dim < 1:
            raise ConfigError(f"latent_dim must be at least 1, got {self.latent_dim}")
        if not self.latent_widths or not self.landmark_widths:
            raise ConfigError("a generator needs at least one latent and one landmark width")
        if self.latent_widths[-1] != self.landmark_widths[-1]:
            raise ConfigError(
                f"the latent and landmark streams are multiplied: their last widths must agree "
                f"({self.latent_widths[-1]} vs {self.landmark_widths[-1]})"
            )
        if len(self.decoder_widths) != len(self.landmark_widths):
            raise ConfigError("one decoder stage per landmark stage: the decoder must climb back to the crop side")
        if min((*self.latent_widths, *self.landmark_widths, *self.decoder_widths)) < 1:
            raise ConfigError("generator widths must be at least 1")

    def fusion_side(self, crop_size: int) -> int:
        """F: the side at which the two streams meet, for crops of ``crop_size``."""
        return crop_size // 2 ** len(self.landmark_widths)

    def check(self, crop_size: int) -> None:
        """:class:`ConfigError` unless crops of ``crop_size`` halve evenly down to F and F to the latent's side."""
        down = 2 ** len(self.landmark_widths) * 2 ** (len(self.latent_widths) - 1)
        if crop_size % down:
            raise ConfigError(f"a {crop_size} px crop does not halve evenly {down}x for this generator's widths")

    def replace(self, **changes: Any) -> GeneratorSpec:
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        return to_dict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any], where: str = "generator") -> GeneratorSpec:
        return from_dict(cls, data, where)


GENERATOR_PRESETS: dict[str, GeneratorSpec] = {
    # For the `cpu` landmark model (64 px crops): fusion at 16 px, latent from 4 px; about 0.2 GMAC per image.
    "cpu": GeneratorSpec(),
    # Tests and smoke runs: a few thousand parameters.
    "tiny": GeneratorSpec(latent_dim=8, latent_widths=(16, 8), landmark_widths=(8, 8), decoder_widths=(8, 8)),
}


def _conv(cin: int, cout: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride=stride, padding=1), nn.ELU())


class LandmarkGenerator(nn.Module):
    """``landmarks (B, K, 2)`` + ``latent (B, Z)`` -> ``image (B, 3, S, S)`` RGB in (0, 1).

    Args:
        model: the landmark model's config: K, the crop side S and how its decoder renders landmarks.
        spec: the generator's widths.
    """

    def __init__(self, model: ModelConfig, spec: GeneratorSpec) -> None:
        super().__init__()
        spec.check(model.crop_size)
        self.spec, self.crop_size = spec, model.crop_size
        self.sigmas, self.normalization = model.heatmap_sigmas, model.heatmap_normalization
        maps = model.heatmap_scales * (model.num_landmarks + 1)
        self.fusion = spec.fusion_side(model.crop_size)
        self.latent_side = self.fusion // 2 ** (len(spec.latent_widths) - 1)
        self.project = nn.Linear(spec.latent_dim, spec.latent_widths[0] * self.latent_side**2)
        self.grow = nn.Sequential()
        for cin, cout in zip(spec.latent_widths[:-1], spec.latent_widths[1:], strict=True):
            self.grow.append(nn.Sequential(nn.ConvTranspose2d(cin, cout, 4, stride=2, padding=1), nn.ELU()))
        self.shrink = nn.Sequential()
        cin = maps
        for width in spec.landmark_widths:
            self.shrink.append(_conv(cin, width, stride=2))
            cin = width
        width = spec.latent_widths[-1]
        self.fuse = _conv(3 * width, spec.decoder_widths[0])
        self.stages = nn.ModuleList()
        cin = spec.decoder_widths[0]
        for width in spec.decoder_widths:
            extra = maps if spec.inject_maps else 0
            self.stages.append(nn.Sequential(_conv(cin + extra, width), _conv(width, width)))
            cin = width
        self.to_rgb = nn.Conv2d(cin, 3, 3, padding=1)

    @property
    def latent_dim(self) -> int:
        """Z: the size of a latent."""
        return self.spec.latent_dim

    def render(self, points: Tensor, size: int) -> Tensor:
        """The decoder's detection maps of landmarks ``(B, K, 2)`` (normalised crop frame) at ``size`` px:
        ``(B, M (K + 1), size, size)``, the M Gaussian scales side by side."""
        return torch.cat([render_gaussians(points, s, size, self.normalization) for s in self.sigmas], dim=1)

    def forward(self, landmarks: Tensor, latent: Tensor) -> Tensor:
        """Generate images of ``landmarks (B, K, 2)`` (normalised (x, y) in the crop) from ``latent (B, Z)``.

        Returns:
            ``(B, 3, S, S)`` RGB in (0, 1).
        """
        landmarks, latent = landmarks.float(), latent.float()
        b = latent.shape[0]
        z = F.elu(self.project(latent)).view(b, -1, self.latent_side, self.latent_side)
        z = self.grow(z)  # (B, C, F, F)
        m = self.shrink(self.render(landmarks, self.crop_size))  # (B, C, F, F)
        x = self.fuse(torch.cat([z * m, z, m], dim=1))
        side = self.fusion
        for stage in self.stages:
            side *= 2
            x = F.interpolate(x, scale_factor=2.0, mode="nearest")
            if self.spec.inject_maps:
                x = torch.cat([x, self.render(landmarks, side)], dim=1)
            x = stage(x)
        return torch.sigmoid(self.to_rgb(x))
