"""The landmark-conditioned decoder: landmarks + descriptors -> image (paper Sec. 3.4)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from lmsdk.model.config import ModelConfig
from lmsdk.model.encoder import GroupLinear
from lmsdk.model.hourglass import ConvBNAct, Hourglass, at_least_fp32
from lmsdk.ops.heatmaps import render_gaussians


class LandmarkDecoder(nn.Module):
    """Render M Gaussian heatmap scales, unpool descriptors through them, decode with an hourglass.

    For each scale, ``D~`` are the K + 1 normalised heatmaps and ``F~ = sum_k D~_k tau(W~_k f_k)`` the
    unpooled features; the hourglass input is ``[D~_1 .. D~_M, F~_1 .. F~_M]`` (the released code's
    order), and its output goes through a 3x3 conv to RGB (BN, no activation) and a sigmoid.
    """

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.sigmas = config.heatmap_sigmas
        self.map_size = config.decoder_map_size
        self.normalization = config.heatmap_normalization
        groups = config.num_landmarks + 1
        in_ch = config.heatmap_scales * groups
        self.unproject: GroupLinear | None = None
        if config.has_descriptors:
            self.unproject = GroupLinear(groups, config.descriptor_dim, config.decoder_feature_dim)
            self.activation = nn.LeakyReLU(config.leaky_slope)
            in_ch += config.heatmap_scales * config.decoder_feature_dim
        self.hourglass = Hourglass(in_ch, config.decoder, bn_eps=config.bn_eps, slope=config.leaky_slope)
        ch = self.hourglass.out_channels
        self.upsample = nn.Sequential()
        for width in config.decoder_upsample:
            self.upsample.append(ConvBNAct(ch, width, bn_eps=config.bn_eps, slope=config.leaky_slope))
            ch = width
        self.to_rgb = ConvBNAct(ch, 3, bn_eps=config.bn_eps, slope=None)

    def heatmaps(self, points: Tensor, map_size: int | None = None) -> list[Tensor]:
        """The M rendered scales, each ``(B, K + 1, s, s)``, for landmarks ``(B, K, 2)`` in the crop frame."""
        size = map_size or self.map_size
        return [render_gaussians(points, sigma, size, self.normalization) for sigma in self.sigmas]

    def forward(self, points: Tensor, descriptors: Tensor | None = None, size: int | None = None) -> Tensor:
        """Decode landmarks ``(B, K, 2)`` (normalised crop frame) and descriptors ``(B, K + 1, C)``.

        ``size`` is the output side (default: the configured crop size; a resolution curriculum decodes
        smaller images with the same network).

        Returns:
            ``(B, 3, S, S)`` RGB in ``(0, 1)``.
        """
        map_size = None if size is None else (size // 2 if len(self.upsample) else size)
        maps = self.heatmaps(at_least_fp32(points), map_size)
        inputs = list(maps)
        if self.unproject is not None:
            if descriptors is None:
                raise ValueError("this decoder was built with descriptors; pass them")
            codes = self.activation(self.unproject(at_least_fp32(descriptors)))  # (B, K + 1, F)
            # sum_k D_k f_k as a matmul on the channels-last maps: (B, s, s, K + 1) @ (B, 1, K + 1, F).
            inputs += [(m.permute(0, 2, 3, 1) @ codes.unsqueeze(1)).permute(0, 3, 1, 2) for m in maps]
        x = self.hourglass(torch.cat(inputs, dim=1))  # channels-last like its parts
        if len(self.upsample):
            x = self.upsample(F.interpolate(x, scale_factor=2.0, mode="nearest"))
        return torch.sigmoid(self.to_rgb(x))
