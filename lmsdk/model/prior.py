"""A prior over the autoencoder's codes: the decoder becomes a generator (new faces with given landmarks).

The encoder describes a crop by its K landmarks ``x`` (normalised ``(x, y)`` in the crop, flattened to 2K
numbers) and its K + 1 descriptors ``y`` of C numbers each (the last row: the background; flattened to
D = (K + 1) C numbers). Fitted on a run's training crops, the prior is a linear regression of the descriptors
on the landmarks plus a Gaussian over what the regression leaves:

    y | x  =  mu_y + A (x - mu_x) + B z,        z ~ N(0, I_Z)

``A`` (D x 2K) is the ridge least-squares fit, so a face turned left gets the descriptors of faces turned left
(their shading, their parts seen from that side); ``B`` (D x Z) is ``U sqrt(Lambda)`` over the leading
eigenvectors of the residuals' covariance that hold :data:`VARIANCE_KEPT` of its variance. It is the Gaussian
over (landmarks, descriptors) conditioned on the landmarks, and sampling it is one affine map of an isotropic
Gaussian draw: :class:`DescriptorPrior` is that map as a module (``lmsdk export`` writes it as ``prior.onnx``),
and ``decoder(x, prior(x, z))`` draws a new face with the landmarks ``x``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor, nn

from lmsdk.errors import DataError
from lmsdk.ops.images import images_to_tensor

PRIOR_CROPS = 1000  # training crops a run's prior is fitted on, spread evenly (fewer where the data has fewer)
VARIANCE_KEPT = 0.99  # of the descriptors' variance the landmarks leave: the latent keeps these directions
RIDGE = 1e-3  # the regression's ridge, relative to each landmark coordinate's variance


@dataclass(frozen=True)
class PriorFit:
    """The fitted prior: ``descriptors = descriptor_mean + A (x - landmark_mean) + B z`` (module docstring)."""

    landmark_mean: np.ndarray  # (K, 2) float64, normalised crop coordinates
    descriptor_mean: np.ndarray  # (K + 1, C) float64
    regression: np.ndarray  # (D, 2K) float64: A, on flattened (x0, y0, x1, y1, ...) landmarks
    scale: np.ndarray  # (D, Z) float64: B
    crops: int  # how many crops it was fitted on
    explained: float  # share of the descriptors' variance the regression on the landmarks explains
    variance_kept: float  # share of the residual variance the Z latent directions hold

    @property
    def latent_dim(self) -> int:
        """Z: the size of an isotropic Gaussian draw."""
        return int(self.scale.shape[1])

    def sample(self, landmarks: np.ndarray, noise: np.ndarray) -> np.ndarray:
        """``(N, K + 1, C)`` descriptors for ``(N, K, 2)`` normalised landmarks and ``(N, Z)`` Gaussian draws."""
        n = len(landmarks)
        offset = (np.asarray(landmarks, np.float64) - self.landmark_mean).reshape(n, -1)
        flat = self.descriptor_mean.reshape(1, -1) + offset @ self.regression.T + np.asarray(noise) @ self.scale.T
        return flat.reshape(n, *self.descriptor_mean.shape)


def fit_prior(
    landmarks: np.ndarray, descriptors: np.ndarray, variance_kept: float = VARIANCE_KEPT, ridge: float = RIDGE
) -> PriorFit:
    """Fit the prior to the codes of N crops.

    Args:
        landmarks: ``(N, K, 2)`` normalised landmarks (the encoder's, crop frame).
        descriptors: ``(N, K + 1, C)`` the encoder's descriptors of the same crops.
        variance_kept: the latent keeps the fewest residual directions holding this share of the variance.
        ridge: added to the landmarks' covariance diagonal, relative to each coordinate's variance.

    Raises:
        DataError: fewer than two crops, shapes that disagree, or values that are not finite.
    """
    x = np.asarray(landmarks, np.float64)
    y = np.asarray(descriptors, np.float64)
    n = len(x)
    if x.ndim != 3 or x.shape[2] != 2 or y.ndim != 3 or len(y) != n or y.shape[1] != x.shape[1] + 1:
        raise DataError(f"landmarks {x.shape} and descriptors {y.shape}: expected (N, K, 2) and (N, K + 1, C)")
    if n < 2 or not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise DataError(f"a prior needs the finite codes of at least 2 crops, got {n}")
    if not 0 < variance_kept <= 1:
        raise DataError(f"variance_kept {variance_kept!r}: a share in (0, 1]")
    x_mean, y_mean = x.mean(0), y.mean(0)
    xc, yc = (x - x_mean).reshape(n, -1), (y - y_mean).reshape(n, -1)
    gram = xc.T @ xc
    gram += np.diag(ridge * np.diag(gram) + 1e-12)
    regression = np.linalg.solve(gram, xc.T @ yc).T  # (D, 2K)
    residual = yc - xc @ regression.T
    total, left = float((yc**2).sum()), float((residual**2).sum())
    values, vectors = np.linalg.eigh(residual.T @ residual / (n - 1))
    values, vectors = np.clip(values[::-1], 0, None), vectors[:, ::-1]  # descending
    kept = np.cumsum(values) >= variance_kept * values.sum() * (1 - 1e-12)
    z = int(np.argmax(kept)) + 1 if values.sum() > 0 else 1
    return PriorFit(
        landmark_mean=x_mean,
        descriptor_mean=y_mean,
        regression=regression,
        scale=vectors[:, :z] * np.sqrt(values[:z]),
        crops=n,
        explained=1.0 - left / total if total > 0 else 0.0,
        variance_kept=float(values[:z].sum() / values.sum()) if values.sum() > 0 else 1.0,
    )


@torch.no_grad()
def encode_crops(model: nn.Module, crops: np.ndarray, batch_size: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """Landmarks ``(N, K, 2)`` and descriptors ``(N, K + 1, C)`` of ``(N, S, S, 3)`` uint8 RGB crops, by a
    :class:`~lmsdk.model.autoencoder.LandmarkAutoencoder` in eval mode (restored afterwards).

    Raises:
        DataError: the model has no descriptors (nothing to put a prior on).
    """
    if getattr(model, "encoder", None) is None:
        raise DataError("the model has no descriptors: its landmarks are its whole code, there is no prior to fit")
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    points, codes = [], []
    try:
        for start in range(0, len(crops), batch_size):
            enc = model.encode(images_to_tensor(crops[start : start + batch_size], device))
            points.append(enc.points.double().cpu().numpy())
            codes.append(enc.descriptors.double().cpu().numpy())
    finally:
        model.train(was_training)
    return np.concatenate(points), np.concatenate(codes)


class DescriptorPrior(nn.Module):
    """``landmarks (N, K, 2)``, ``noise (N, Z)`` -> ``descriptors (N, K + 1, C)``: :meth:`PriorFit.sample` as a
    module (float32 buffers; nothing to train)."""

    def __init__(self, fit: PriorFit) -> None:
        super().__init__()
        self.descriptor_shape = tuple(fit.descriptor_mean.shape)
        self.latent_dim = fit.latent_dim
        for name in ("landmark_mean", "descriptor_mean", "regression", "scale"):
            value = getattr(fit, name)
            self.register_buffer(name, torch.from_numpy(np.ascontiguousarray(value, np.float32)))

    def forward(self, landmarks: Tensor, noise: Tensor) -> Tensor:
        offset = (landmarks - self.landmark_mean).flatten(1)  # (N, 2K)
        flat = self.descriptor_mean.view(1, -1) + offset @ self.regression.T + noise @ self.scale.T  # (N, D)
        return flat.view(-1, *self.descriptor_shape)
