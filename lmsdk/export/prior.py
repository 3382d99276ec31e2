"""The prior over a model's codes, fitted on the run's training crops at export and written as ``prior.onnx``.

``landmarks (N, K, 2)`` (normalised (x, y) in the crop, the artifact's convention) and ``noise (N, Z)`` (an
isotropic Gaussian draw) -> ``descriptors (N, K + 1, C)``: :class:`lmsdk.model.prior.DescriptorPrior`, fitted on
the codes the model gives :data:`PRIOR_CROPS` crops spread evenly over its training data. With the decoder it
draws new objects with given landmarks in the torch-free runtime (``lmsdk generate``, :mod:`lmsdk.runtime.prior`)
on any artifact of a model with descriptors. The graph is a few matrix products; the parity gate compares it
with eager PyTorch on random inputs at batch sizes 1 and 7 and at the training crops' mean landmarks.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

from lmsdk.errors import DataError
from lmsdk.export.onnx_export import export_graph
from lmsdk.export.parity import BATCHES, TOLERANCES, ParityReport, graph_difference, new_seed
from lmsdk.model.autoencoder import LandmarkAutoencoder
from lmsdk.model.prior import PRIOR_CROPS, DescriptorPrior, PriorFit, encode_crops, fit_prior
from lmsdk.spec import PRIOR, ModelFile, TensorSpec, sha256_file

INPUTS, OUTPUTS = ["landmarks", "noise"], ["descriptors"]

logger = logging.getLogger(__name__)


def fit_run_prior(model: LandmarkAutoencoder, read_crops: Callable[[int], np.ndarray]) -> PriorFit | None:
    """The prior of ``model`` fitted on ``read_crops(PRIOR_CROPS)`` (``(n, S, S, 3)`` uint8 RGB training crops);
    None for a model without descriptors, or (with a warning) where ``read_crops`` raises :class:`DataError`.
    A generator run that starts BEGAN from the prior fits it the same way
    (:mod:`lmsdk.trainer.stages.generation_start`)."""
    if not model.config.has_descriptors:
        return None
    try:
        crops = read_crops(PRIOR_CROPS)
    except DataError as exc:
        logger.warning("no prior over the codes (lmsdk generate needs it on an artifact without a generator): %s", exc)
        return None
    return fit_prior(*encode_crops(model, crops))


def _inputs(prior: DescriptorPrior, points: torch.Tensor, rng: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    return points, torch.randn(len(points), prior.latent_dim, generator=rng)


def prior_parity(prior: DescriptorPrior, path: Path, seed: int | None = None) -> ParityReport:
    """Max absolute difference in the descriptors between eager PyTorch and onnxruntime on random landmarks inside
    the crop and Gaussian noise (from ``seed``; None: a fresh one, recorded) at each of :data:`BATCHES`, and at the
    training crops' mean landmarks."""
    seed = new_seed() if seed is None else seed
    rng = torch.Generator().manual_seed(seed)
    k = prior.landmark_mean.shape[0]
    feeds = [_inputs(prior, 0.2 + 0.6 * torch.rand(b, k, 2, generator=rng), rng) for b in BATCHES]
    feeds.append(_inputs(prior, prior.landmark_mean[None].clone(), rng))
    tolerance = {"descriptors": TOLERANCES["fp32"]["descriptors"]}
    report = ParityReport(PRIOR, "fp32", tolerance=tolerance, inputs="random and the training mean", seed=seed)
    report.max_abs["descriptors"] = graph_difference(prior, path, feeds, INPUTS, OUTPUTS[0])
    return report


def export_prior(fit: PriorFit, out_dir: Path) -> tuple[dict[str, ModelFile], ParityReport, dict[str, Any]]:
    """Write ``prior.onnx`` into ``out_dir`` and measure its parity (the caller gates on the report).

    Returns:
        Its manifest file entry, its parity report and the manifest's ``prior`` entry.
    """
    prior = DescriptorPrior(fit).eval()
    k, (rows, c) = fit.landmark_mean.shape[0], fit.descriptor_mean.shape
    example = _inputs(prior, 0.5 + torch.zeros(2, k, 2), torch.Generator().manual_seed(0))
    path = export_graph(prior, example, INPUTS, OUTPUTS, out_dir / f"{PRIOR}.onnx")
    inputs = (TensorSpec("landmarks", ("N", k, 2)), TensorSpec("noise", ("N", fit.latent_dim)))
    entry = ModelFile(path.name, sha256_file(path), "fp32", inputs, (TensorSpec("descriptors", ("N", rows, c)),))
    info = {
        "latent_dim": fit.latent_dim,
        "latent": "isotropic Gaussian N(0, I)",
        "law": "descriptors regressed on the landmarks + a Gaussian over the residuals (lmsdk.model.prior)",
        "crops": fit.crops,
        "explained": fit.explained,
        "variance_kept": fit.variance_kept,
    }
    return {PRIOR: entry}, prior_parity(prior, path), info
