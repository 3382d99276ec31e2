"""A lite landmark detector: inverted-residual blocks (MobileNetV2) in a small U, distilled from a trained one.

The unsupervised detector is big because it must also be learnable from scratch; once landmarks have been
discovered, a student a fraction of its size reproduces them (``lmsdk distill``). The student keeps the
teacher's contract: it takes the same padded crop, outputs K + 1 score maps (at a quarter of the input side),
a per-pixel softmax over landmarks + background, and the soft-argmax landmarks in the crop frame, so
export, runtime and tracker treat it like any detector.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from lmsdk.model.config import LiteSpec
from lmsdk.model.detector import Detection
from lmsdk.model.hourglass import at_least_fp32
from lmsdk.ops.coords import padded_to_crop
from lmsdk.ops.heatmaps import soft_argmax, spatial_spread


def _conv_bn(
    in_ch: int, out_ch: int, kernel: int = 1, stride: int = 1, groups: int = 1, act: bool = True
) -> nn.Sequential:
    layers: list[nn.Module] = [
        nn.Conv2d(in_ch, out_ch, kernel, stride, kernel // 2, groups=groups, bias=False),
        nn.BatchNorm2d(out_ch),
    ]
    if act:
        layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


class InvertedResidual(nn.Module):
    """1x1 expand -> 3x3 depthwise (stride s) -> 1x1 project, with a residual when shapes allow."""

    def __init__(self, in_ch: int, out_ch: int, stride: int, expand: int) -> None:
        super().__init__()
        mid = in_ch * expand
        layers = [] if expand == 1 else [_conv_bn(in_ch, mid)]
        layers += [_conv_bn(mid, mid, 3, stride, groups=mid), _conv_bn(mid, out_ch, act=False)]
        self.block = nn.Sequential(*layers)
        self.residual = stride == 1 and in_ch == out_ch

    def forward(self, x: Tensor) -> Tensor:
        y = self.block(x)
        return x + y if self.residual else y


class LiteDetector(nn.Module):
    """Padded crop ``(B, 3, P, P)`` -> :class:`Detection` with score maps at ``P / 4``.

    Down: a stride-2 stem, then one stage of inverted residuals per entry of ``spec.stages`` (each halving the
    side). Up: back to ``P / 4`` by nearest upsampling, adding 1x1 projections of the stage outputs at the same
    side, with a depthwise-separable conv after each addition. Then a 1x1 conv to K + 1 score maps.
    """

    def __init__(self, num_landmarks: int, crop_size: int, padded_size: int, spec: LiteSpec) -> None:
        super().__init__()
        self.crop_size, self.padded_size, self.spec = crop_size, padded_size, spec
        self.stem = _conv_bn(3, spec.stem, 3, 2)
        self.stages = nn.ModuleList()
        widths, ch = [], spec.stem
        for expand, out_ch, repeats in spec.stages:
            blocks = [InvertedResidual(ch, out_ch, 2, expand)]
            blocks += [InvertedResidual(out_ch, out_ch, 1, expand) for _ in range(repeats - 1)]
            self.stages.append(nn.Sequential(*blocks))
            widths.append(out_ch)
            ch = out_ch
        # stages[0] ends at P / 4: the maps' side; deeper stages come back up to it.
        self.lateral = nn.ModuleList(_conv_bn(w, spec.head, act=False) for w in widths)
        self.refine = nn.ModuleList(
            nn.Sequential(_conv_bn(spec.head, spec.head, 3, groups=spec.head), _conv_bn(spec.head, spec.head))
            for _ in widths[:-1]
        )
        self.score = nn.Conv2d(spec.head, num_landmarks + 1, 1)

    def forward(self, padded: Tensor, crop_size: int | None = None) -> Detection:
        crop, pad = (self.crop_size, self.padded_size) if crop_size is None else (crop_size, padded.shape[-1])
        x = self.stem(padded)
        outputs = []
        for stage in self.stages:
            x = stage(x)
            outputs.append(x)
        y = self.lateral[-1](outputs[-1])
        for level in range(len(outputs) - 2, -1, -1):
            skip = self.lateral[level](outputs[level])
            y = F.interpolate(y, size=skip.shape[-2:], mode="nearest") + skip
            y = self.refine[level](y)
        probs = torch.softmax(at_least_fp32(self.score(y)), dim=1)
        maps = probs[:, :-1]
        centers = soft_argmax(maps)
        spread = spatial_spread(maps, centers) * (pad / crop)
        return Detection(padded_to_crop(centers, crop, pad), spread, probs)
