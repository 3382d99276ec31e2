"""An exponential moving average of the weights: the model a run exports, when the config asks for one."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch
from torch import Tensor, nn


class WeightAverage:
    """EMA of a model's parameters over a horizon given as a fraction of the run.

    The decay for a run of ``total`` steps is ``1 - 1 / (horizon * total)``, capped early in training by
    ``(1 + step) / (10 + step)`` so the average does not remember the random initial weights. BatchNorm
    buffers are not averaged: lmsdk recomputes exact statistics for whatever weights it evaluates.
    """

    def __init__(self, model: nn.Module, horizon: float) -> None:
        self.horizon = horizon
        self.names = [name for name, _ in model.named_parameters()]
        self.shadow = [p.detach().clone() for p in model.parameters()]

    def decay(self, step: int, total: int) -> float:
        return min(1.0 - 1.0 / max(1.0, self.horizon * total), (1.0 + step) / (10.0 + step))

    @torch.no_grad()
    def update(self, model: nn.Module, step: int, total: int) -> None:
        """Fold the weights after step ``step`` (0-based) into the average."""
        weight = 1.0 - self.decay(step, total)
        torch._foreach_lerp_(self.shadow, [p.detach() for p in model.parameters()], weight)

    @contextmanager
    def applied(self, model: nn.Module) -> Iterator[None]:
        """Within the block, ``model`` holds the averaged weights; its own come back afterwards."""
        own = [p.detach().clone() for p in model.parameters()]
        self.copy_to(model)
        try:
            yield
        finally:
            with torch.no_grad():
                for p, value in zip(model.parameters(), own, strict=True):
                    p.copy_(value)

    @torch.no_grad()
    def copy_to(self, model: nn.Module) -> None:
        for p, value in zip(model.parameters(), self.shadow, strict=True):
            p.copy_(value)

    def state_dict(self) -> dict[str, Tensor]:
        """``{"ema.<parameter name>": tensor}`` for a checkpoint."""
        return {f"ema.{name}": t.contiguous() for name, t in zip(self.names, self.shadow, strict=True)}

    def load_state_dict(self, tensors: dict[str, Tensor]) -> None:
        for i, name in enumerate(self.names):
            self.shadow[i].copy_(tensors[f"ema.{name}"])
