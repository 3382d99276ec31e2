"""BatchNorm frozen to its running statistics: a per-channel affine map whose scale and shift still train.

A network fine-tuned adversarially from a trained one (the decoder that BEGAN starts from the prior with,
:mod:`lmsdk.model.prior_generator`) keeps the statistics it was trained with: in train mode as in eval mode it
computes exactly what the original's eval-mode BatchNorm computes (the same kernel on the same numbers), so it
starts where the original stands, it is exported as it was trained, and no batch statistics are gathered
(:func:`lmsdk.trainer.bn_stats.batchnorm_layers` does not count it).
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn


class FrozenBatchNorm2d(nn.Module):
    """``(B, C, H, W)`` -> ``(x - running_mean) / sqrt(running_var + eps) * weight + bias``, whatever the mode.

    ``weight`` and ``bias`` are parameters (trainable); ``running_mean`` and ``running_var`` are fixed buffers.
    """

    running_mean: Tensor
    running_var: Tensor

    def __init__(self, source: nn.BatchNorm2d) -> None:
        super().__init__()
        if source.running_mean is None or source.running_var is None or source.weight is None or source.bias is None:
            raise ValueError("only a BatchNorm with running statistics and an affine map can be frozen")
        self.eps = source.eps
        self.weight = nn.Parameter(source.weight.detach().clone())
        self.bias = nn.Parameter(source.bias.detach().clone())
        self.register_buffer("running_mean", source.running_mean.detach().clone())
        self.register_buffer("running_var", source.running_var.detach().clone())

    def forward(self, x: Tensor) -> Tensor:
        """``(B, C, H, W)`` normalised by the frozen running statistics, in either mode."""
        return F.batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias, False, 0.0, self.eps)

    def extra_repr(self) -> str:
        return f"{self.weight.shape[0]}, eps={self.eps}"


def freeze_batchnorm(module: nn.Module) -> nn.Module:
    """``module`` with every :class:`~torch.nn.BatchNorm2d` inside it replaced, in place, by a
    :class:`FrozenBatchNorm2d` holding its current statistics and affine map; returns ``module``."""
    for name, child in module.named_children():
        if isinstance(child, nn.BatchNorm2d):
            setattr(module, name, FrozenBatchNorm2d(child))
        else:
            freeze_batchnorm(child)
    return module
