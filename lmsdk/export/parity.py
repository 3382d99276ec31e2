"""The parity gate: exported graphs must give the trained model's numbers, or the export fails.

Every export compares eager PyTorch with onnxruntime (through the runtime's own backend) on fresh random
inputs and on real ones (crops of the run's own training data, or synthetic faces where that data is not
readable; for the decoder, the codes the model gives them), at batch sizes 1 and 7, for every graph it
writes. Real crops, because a model is only well conditioned on what it was trained for: on cartoon faces
the MTFL model's score maps are multimodal, and fp16 rounding moved its soft-argmax by 2.6e-2 of the crop
where on 200 MTFL crops it moved it by at most 6e-4. Tolerances are absolute, per output:
    fp32: landmarks and confidences 1e-4 (normalised; 0.008 px at 80 px), descriptors 1e-3,
          decoder pixels 1e-3 (in [0, 1]);
    fp16: landmarks 5e-3, confidences 1e-2, descriptors 5e-2, decoder pixels 2e-2
(what trained models give against them: docs/export.md).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from lmsdk.data.synthetic import SyntheticFaces
from lmsdk.errors import ParityError  # noqa: F401 (importable from here, as before)
from lmsdk.export.wrappers import GRAPHS, example_inputs, io_names
from lmsdk.model.autoencoder import LandmarkAutoencoder
from lmsdk.ops.images import images_to_tensor
from lmsdk.runtime.backends import Backend, OrtBackend

TOLERANCES: dict[str, dict[str, float]] = {
    "fp32": {"landmarks": 1e-4, "confidence": 1e-4, "named": 1e-4, "descriptors": 1e-3, "image": 1e-3},
    "fp16": {"landmarks": 5e-3, "confidence": 1e-2, "named": 5e-3, "descriptors": 5e-2, "image": 2e-2},
}
BATCHES = (1, 7)
REAL_TRAINING, REAL_SYNTHETIC = "random and training crops", "random and synthetic faces"


@dataclass
class ParityReport:
    component: str
    precision: str
    max_abs: dict[str, float] = field(default_factory=dict)
    tolerance: dict[str, float] = field(default_factory=dict)
    inputs: str = REAL_SYNTHETIC  # what the real-input batch was
    seed: int | None = None  # of the random inputs: ``check_parity(..., seed=seed)`` compares the same ones again

    def to_manifest(self) -> dict:
        """The report as the manifest's ``parity`` entry records it."""
        return {"max_abs": self.max_abs, "tolerance": self.tolerance, "inputs": self.inputs, "seed": self.seed}

    @property
    def ok(self) -> bool:
        return all(self.max_abs[k] <= self.tolerance[k] for k in self.max_abs)

    def describe(self) -> str:
        parts = [f"{k} {v:.2e} (tol {self.tolerance[k]:.0e})" for k, v in self.max_abs.items()]
        return f"{self.component} {self.precision}: " + ", ".join(parts) + f" (inputs seed {self.seed})"


def real_batch(crop_size: int, crops: np.ndarray | None, seed: int) -> tuple[np.ndarray, str]:
    """The gate's real images, ``(n, S, S, 3)`` uint8 RGB: ``crops`` (the run's training crops) or, without them,
    ``BATCHES[-1]`` synthetic faces; and which of the two (:data:`REAL_TRAINING` / :data:`REAL_SYNTHETIC`)."""
    if crops is not None:
        return crops, REAL_TRAINING
    return SyntheticFaces(crop_size, BATCHES[-1], seed=seed % (2**31)).images(range(BATCHES[-1])), REAL_SYNTHETIC


def new_seed() -> int:
    """A fresh seed for :func:`parity_inputs` (the gate draws new random inputs every time it runs)."""
    return int.from_bytes(os.urandom(4), "little")


def parity_inputs(
    model: LandmarkAutoencoder, component: str, crops: np.ndarray | None = None, seed: int | None = None
) -> list[tuple[torch.Tensor, ...]]:
    """Random inputs drawn from ``seed`` (None: a fresh one) at each batch size, plus real ones: ``crops``
    (``(n, S, S, 3)`` uint8 RGB crops of the model's training data) or, without them, ``BATCHES[-1]``
    synthetic faces drawn from the same seed."""
    seed = new_seed() if seed is None else seed
    generator = torch.Generator().manual_seed(seed)
    batches = [example_inputs(model, component, b, generator) for b in BATCHES]
    crops = images_to_tensor(real_batch(model.config.crop_size, crops, seed)[0])
    if component == "decoder":
        with torch.no_grad():
            enc = model.encode(crops)
        batches.append((enc.points,) if enc.descriptors is None else (enc.points, enc.descriptors))
    else:
        batches.append((crops,))
    return batches


def graph_difference(
    graph: torch.nn.Module, path: Path, feeds: list[tuple[torch.Tensor, ...]], input_names: list[str], output: str
) -> float:
    """Max absolute difference in the one output ``output`` between eager PyTorch (``graph`` in eval mode) and
    onnxruntime running the file at ``path``, over ``feeds`` (each the graph's inputs, in ``input_names``' order)."""
    runner = OrtBackend(path)
    worst = 0.0
    try:
        for inputs in feeds:
            with torch.no_grad():
                expected = graph.eval()(*inputs).numpy()
            got = runner.run(dict(zip(input_names, (x.numpy() for x in inputs), strict=True)))[output]
            worst = max(worst, float(np.abs(got.astype(np.float64) - expected).max()))
    finally:
        runner.close()
    return worst


def check_parity(
    model: LandmarkAutoencoder,
    component: str,
    path: Path,
    precision: str,
    backend: Backend | None = None,
    graph: torch.nn.Module | None = None,
    crops: np.ndarray | None = None,
    seed: int | None = None,
) -> ParityReport:
    """Compare eager PyTorch (``graph``, default the component's plain graph) with the file at ``path``
    (onnxruntime CPU unless ``backend`` is given) on :func:`parity_inputs` (``crops``: the real ones; ``seed``:
    the random ones', None for fresh ones; the report records it, so a failed gate can be rerun on its inputs)."""
    graph = (graph or GRAPHS[component](model)).eval()
    runner = backend or OrtBackend(path)
    try:
        return _compare(model, component, graph, runner, precision, crops, new_seed() if seed is None else seed)
    finally:
        runner.close()


def _compare(
    model: LandmarkAutoencoder,
    component: str,
    graph: torch.nn.Module,
    runner: Backend,
    precision: str,
    crops: np.ndarray | None,
    seed: int,
) -> ParityReport:
    inputs_kind = REAL_SYNTHETIC if crops is None else REAL_TRAINING
    report = ParityReport(component, precision, tolerance=dict(TOLERANCES[precision]), inputs=inputs_kind, seed=seed)
    for inputs in parity_inputs(model, component, crops, seed):
        with torch.no_grad():
            expected = graph(*inputs)
        expected = expected if isinstance(expected, tuple) else (expected,)
        input_names, output_names = io_names(model, component, getattr(graph, "regressor", None) is not None)
        got = runner.run(dict(zip(input_names, (x.numpy() for x in inputs), strict=True)))
        for name, ref in zip(output_names, expected, strict=True):
            err = float(np.abs(got[name].astype(np.float64) - ref.numpy()).max())
            report.max_abs[name] = max(report.max_abs.get(name, 0.0), err)
    report.tolerance = {k: v for k, v in report.tolerance.items() if k in report.max_abs}
    return report
