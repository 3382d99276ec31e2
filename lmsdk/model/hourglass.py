"""Conv-BN-LeakyReLU blocks and the one hourglass builder every network of the paper uses."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from lmsdk.model.config import HourglassSpec


def at_least_fp32(x: Tensor) -> Tensor:
    """Upcast bf16/fp16 activations (autocast) to fp32 for statistics; leave fp32/fp64 alone."""
    return x.to(torch.promote_types(x.dtype, torch.float32))


class ConvBNAct(nn.Sequential):
    """``k x k`` 'same' conv (no bias: BN follows) + BatchNorm + optional LeakyReLU, as in the released code."""

    def __init__(
        self, in_ch: int, out_ch: int, *, kernel: int = 3, bn_eps: float = 1e-3, slope: float | None = 0.2
    ) -> None:
        layers: list[nn.Module] = [
            nn.Conv2d(in_ch, out_ch, kernel, padding=kernel // 2, bias=False),
            nn.BatchNorm2d(out_ch, eps=bn_eps),
        ]
        if slope is not None:
            layers.append(nn.LeakyReLU(slope))
        super().__init__(*layers)


def _chain(widths: tuple[int, ...], in_ch: int, bn_eps: float, slope: float) -> tuple[nn.Sequential, int]:
    blocks = []
    for w in widths:
        blocks.append(ConvBNAct(in_ch, w, bn_eps=bn_eps, slope=slope))
        in_ch = w
    return nn.Sequential(*blocks), in_ch


class Hourglass(nn.Module):
    """An hourglass built from a :class:`HourglassSpec` (see its docstring for the layout)."""

    def __init__(self, in_channels: int, spec: HourglassSpec, *, bn_eps: float = 1e-3, slope: float = 0.2) -> None:
        super().__init__()
        self.spec = spec
        self.down = nn.ModuleList()
        enc_out = []
        ch = in_channels
        for widths in spec.encoder:
            block, ch = _chain(widths, ch, bn_eps, slope)
            self.down.append(block)
            enc_out.append(ch)

        # Walk back up from the bottom level; record each level's decoder chain and its skip branch.
        self.up = nn.ModuleDict()
        self.skips = nn.ModuleDict()
        for level in range(spec.levels - 1, spec.out_level - 1, -1):
            if level < spec.levels - 1:
                # The skip adds to the upsampled stream: its first convs use max(in, out) channels.
                skip_in, skip_out = enc_out[level], ch
                mid = max(skip_in, skip_out)
                widths = (mid,) * (spec.skip_convs - 1) + (skip_out,)
                self.skips[str(level)], _ = _chain(widths, skip_in, bn_eps, slope)
            self.up[str(level)], ch = _chain(spec.decoder[level], ch, bn_eps, slope)
        self.out_channels = ch

    def forward(self, x: Tensor) -> Tensor:
        """``(B, C_in, H, W)`` -> ``(B, out_channels, H / 2**out_level, W / 2**out_level)``."""
        spec = self.spec
        saved = []
        for level, block in enumerate(self.down):
            x = block(x)
            if level < spec.levels - 1:
                saved.append(x)
                x = F.max_pool2d(x, 2)
        for level in range(spec.levels - 1, spec.out_level - 1, -1):
            if level < spec.levels - 1:
                x = F.interpolate(x, scale_factor=2.0, mode="nearest") + self.skips[str(level)](saved[level])
            x = self.up[str(level)](x)
        return x
