"""The generator of a generator run (``lmsdk train-generator``: from noise, or from the prior and the run's decoder,
:mod:`lmsdk.model.generator_io`) as ``generator.onnx``, behind the parity gate.

``landmarks (N, K, 2)`` (normalised (x, y) in the crop, the artifact's convention) and ``latent (N, Z)`` (an
isotropic Gaussian draw) -> ``image (N, 3, S, S)`` RGB in (0, 1). The Gaussian maps of the landmarks are rendered
inside the graph, so generating is "detect, draw latents, run". The gate compares eager PyTorch with
onnxruntime on fresh random inputs at batch sizes 1 and 7 and on the landmarks the model finds on the run's
training crops (synthetic faces where they are not readable), with the decoder's image tolerances
(:data:`lmsdk.export.parity.TOLERANCES`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from lmsdk.export.onnx_export import export_graph, to_fp16
from lmsdk.export.parity import BATCHES, TOLERANCES, ParityReport, graph_difference, new_seed, real_batch
from lmsdk.model.autoencoder import LandmarkAutoencoder
from lmsdk.model.generator_io import ImageGenerator
from lmsdk.ops.images import images_to_tensor
from lmsdk.spec import GENERATOR, ModelFile, TensorSpec, sha256_file

INPUTS, OUTPUTS = ["landmarks", "latent"], ["image"]


def generator_inputs(
    model: LandmarkAutoencoder, generator: ImageGenerator, batch: int, rng: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    """Random ``landmarks (batch, K, 2)`` inside the crop and ``latent (batch, Z)`` draws."""
    k, z = model.config.num_landmarks, generator.latent_dim
    return 0.2 + 0.6 * torch.rand(batch, k, 2, generator=rng), torch.randn(batch, z, generator=rng)


def generator_entry(path: Path, model: LandmarkAutoencoder, generator: ImageGenerator, precision: str) -> ModelFile:
    """The manifest entry of an exported generator graph."""
    s, k, z = model.config.crop_size, model.config.num_landmarks, generator.latent_dim
    inputs = (TensorSpec("landmarks", ("N", k, 2)), TensorSpec("latent", ("N", z)))
    return ModelFile(path.name, sha256_file(path), precision, inputs, (TensorSpec("image", ("N", 3, s, s)),))


def generator_parity(
    model: LandmarkAutoencoder,
    generator: ImageGenerator,
    path: Path,
    precision: str,
    crops: np.ndarray | None = None,
    seed: int | None = None,
) -> ParityReport:
    """Max absolute pixel difference between eager PyTorch and onnxruntime on random inputs (from ``seed``; None:
    fresh ones, recorded in the report) and on the landmarks the model finds on ``crops`` (``(n, S, S, 3)`` uint8
    RGB training crops; default synthetic faces)."""
    seed = new_seed() if seed is None else seed
    rng = torch.Generator().manual_seed(seed)
    feeds = [generator_inputs(model, generator, b, rng) for b in BATCHES]
    images, inputs = real_batch(model.config.crop_size, crops, seed)
    with torch.no_grad():
        points = model.eval().detect(images_to_tensor(images)).points
    feeds.append((points, torch.randn(len(points), generator.latent_dim, generator=rng)))
    tolerance = {"image": TOLERANCES[precision]["image"]}
    report = ParityReport(GENERATOR, precision, tolerance=tolerance, inputs=inputs, seed=seed)
    report.max_abs["image"] = graph_difference(generator, path, feeds, INPUTS, "image")
    return report


def export_generator(
    model: LandmarkAutoencoder,
    generator: ImageGenerator,
    out_dir: Path,
    fp16: bool,
    crops: np.ndarray | None = None,
) -> tuple[dict[str, ModelFile], list[ParityReport]]:
    """Write ``generator.onnx`` (and ``generator.fp16.onnx``) into ``out_dir`` and measure their parity; the
    caller gates on the reports."""
    example = generator_inputs(model, generator, 2, torch.Generator().manual_seed(0))
    path = export_graph(generator, example, INPUTS, OUTPUTS, out_dir / f"{GENERATOR}.onnx")
    files = {GENERATOR: generator_entry(path, model, generator, "fp32")}
    reports = [generator_parity(model, generator, path, "fp32", crops)]
    if fp16:
        half = to_fp16(path, out_dir / f"{GENERATOR}.fp16.onnx")
        files[f"{GENERATOR}.fp16"] = generator_entry(half, model, generator, "fp16")
        reports.append(generator_parity(model, generator, half, "fp16", crops))
    return files, reports
