"""Speed options of a training step that do not change the method: mixed precision and torch.compile."""

from __future__ import annotations

import logging

import torch
from torch import nn

logger = logging.getLogger(__name__)

AUTOCAST_DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16}


def autocast(device_type: str, precision: str) -> torch.autocast:
    """The autocast context of a resolved ``precision`` (fp32: disabled) on ``device_type`` ("cpu", "cuda")."""
    dtype = AUTOCAST_DTYPES.get(precision)
    return torch.autocast(device_type, dtype=dtype or torch.float32, enabled=dtype is not None)


def native_bf16(device: torch.device) -> bool:
    """Whether ``device`` computes bf16 natively (AVX-512 BF16 or AMX on CPUs; Ampere or newer GPUs)."""
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    return bool(torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported())


def resolve_precision(precision: str, device: torch.device) -> str:
    """``"auto"`` -> ``"bf16"`` on CPUs with native bf16 units (where it pays), else ``"fp32"``; GPUs keep fp32 with
    TF32 convolutions (bf16 paid nothing there at these model sizes). Measured: docs/training-speed.md. Other values
    are returned as they are."""
    if precision != "auto":
        return precision
    chosen = "bf16" if device.type == "cpu" and native_bf16(device) else "fp32"
    logger.debug("precision auto: %s on %s", chosen, device)  # the run's opening line says it
    return chosen


def compile_available() -> str | None:
    """None when torch.compile works here (it needs a C++ compiler on CPUs), else why not."""
    try:
        torch.compile(lambda x: x * 2.0 + 1.0, dynamic=False)(torch.ones(4))
    except Exception as exc:  # any backend failure means: train eagerly
        return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
    return None


def compiled(model: nn.Module) -> nn.Module:
    """``torch.compile(model)`` where it works; the model itself, with a warning, where it does not."""
    problem = compile_available()
    if problem is not None:
        logger.warning("torch.compile is unavailable here (%s); training without it", problem)
        return model
    fast = torch.compile(model)  # typed as a callable; for an nn.Module it is an OptimizedModule, a Module
    assert isinstance(fast, nn.Module)
    return fast
