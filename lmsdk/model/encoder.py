"""Local latent descriptors: a feature hourglass pooled under each detection map (paper Sec. 3.3)."""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from lmsdk.model.config import ModelConfig
from lmsdk.model.hourglass import Hourglass, at_least_fp32


class GroupLinear(nn.Module):
    """A separate linear map per group: ``(B, G, in) -> (B, G, out)``, with one bias shared by all groups."""

    def __init__(self, groups: int, in_features: int, out_features: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.empty(groups, out_features, in_features))
        self.bias = nn.Parameter(torch.zeros(out_features))
        bound = math.sqrt(6.0 / (in_features + out_features))  # Glorot uniform, per group
        nn.init.uniform_(self.weight, -bound, bound)

    def forward(self, x: Tensor) -> Tensor:
        return torch.einsum("bgi,goi->bgo", x, self.weight) + self.bias


class DescriptorEncoder(nn.Module):
    """Feature hourglass -> pool under each of the K + 1 detection maps -> per-landmark map to C dims.

    As in the released code the pooling weights are the detection maps normalised to sum to one
    (background included), not the paper's Gaussian approximation.
    """

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        if config.feature is None:
            raise ValueError("a DescriptorEncoder needs a feature hourglass")
        self.hourglass = Hourglass(3, config.feature, bn_eps=config.bn_eps, slope=config.leaky_slope)
        self.project = GroupLinear(config.num_landmarks + 1, self.hourglass.out_channels, config.descriptor_dim)

    def forward(self, padded: Tensor, probs: Tensor) -> Tensor:
        """Descriptors ``(B, K + 1, C)`` of ``(B, 3, P, P)`` images under their maps ``(B, K + 1, h, w)``."""
        features = at_least_fp32(self.hourglass(padded))  # (B, S, h, w)
        weights = probs / (probs.sum(dim=(-2, -1), keepdim=True) + 1e-12)
        pooled = torch.einsum("bkhw,bshw->bks", weights, features)
        return self.project(pooled)
