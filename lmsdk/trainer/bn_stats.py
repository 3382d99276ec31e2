"""Exact BatchNorm statistics (App. G.3): the average of batch statistics over many training batches.

The running averages BatchNorm keeps during training lag behind the weights; the paper notes that
using them hurts. Before every evaluation, snapshot and at the end, lmsdk resets them and replaces them
with the plain average over ``n`` forward passes of the training graph (train-mode BN, augmentation on).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn


def batchnorm_layers(model: nn.Module) -> list[nn.modules.batchnorm._BatchNorm]:
    return [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]


@torch.no_grad()
def recompute_batchnorm_statistics(model: nn.Module, forward: Callable[[int], None], batches: int) -> None:
    """Replace every BN layer's running mean and variance by the average over ``batches`` forwards.

    Args:
        model: the module whose BN layers to refresh; left in eval mode.
        forward: ``forward(i)`` runs the training graph on the i-th batch (outputs are ignored).
        batches: how many batches to average.
    """
    layers = batchnorm_layers(model)
    momenta = [m.momentum for m in layers]
    for m in layers:
        m.reset_running_stats()
        m.momentum = None  # cumulative moving average = the exact mean over the batches seen
    was_training = model.training
    model.train()
    try:
        for i in range(batches):
            forward(i)
    finally:
        for m, momentum in zip(layers, momenta, strict=True):
            m.momentum = momentum
        model.train(was_training)
    model.eval()
