"""Conversions between uint8 HWC image batches (data, OpenCV) and float CHW tensors (the model)."""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor


def images_to_tensor(images: np.ndarray, device: torch.device | str = "cpu") -> Tensor:
    """``(B, H, W, 3)`` uint8 -> ``(B, 3, H, W)`` float32 in ``[0, 1]`` on ``device`` (channel order kept)."""
    return torch.from_numpy(np.ascontiguousarray(images)).to(device).permute(0, 3, 1, 2).float().div_(255.0)


def tensor_to_images(images: Tensor) -> np.ndarray:
    """``(B, 3, H, W)`` float in ``[0, 1]`` -> ``(B, H, W, 3)`` uint8 (rounded, clipped)."""
    return (images.detach().float().clamp(0, 1) * 255.0).round().byte().permute(0, 2, 3, 1).cpu().numpy()
