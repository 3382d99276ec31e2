"""Run a trained model over a source and collect its landmarks."""

from __future__ import annotations

import numpy as np
import torch

from lmsdk.data.base import ImageSource
from lmsdk.model.autoencoder import LandmarkAutoencoder
from lmsdk.ops.images import images_to_tensor


def predict_landmarks(
    model: LandmarkAutoencoder, source: ImageSource, *, batch_size: int = 64, indices: np.ndarray | None = None
) -> np.ndarray:
    """Discovered landmarks of every crop of ``source`` (or of ``indices``): ``(N, K, 2)`` normalised crop coordinates.

    The model is used in eval mode (BatchNorm with its stored statistics) and restored afterwards.
    """
    return predict_detections(model, source, batch_size=batch_size, indices=indices)[0]


@torch.no_grad()
def predict_detections(
    model: LandmarkAutoencoder, source: ImageSource, *, batch_size: int = 64, indices: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Landmarks ``(N, K, 2)`` (normalised crop coordinates) and their confidence ``(N, K)`` (detection-map peaks)."""
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    idx = np.arange(len(source)) if indices is None else np.asarray(indices)
    k = model.config.num_landmarks
    points, confidence = [np.zeros((0, k, 2), np.float32)], [np.zeros((0, k), np.float32)]
    try:
        for start in range(0, len(idx), batch_size):
            images = source.images(idx[start : start + batch_size])
            det = model.detect(images_to_tensor(images, device))
            points.append(det.points.float().cpu().numpy())
            confidence.append(det.confidence.float().cpu().numpy())
    finally:
        model.train(was_training)
    return np.concatenate(points), np.concatenate(confidence)
