"""An exported artifact directory: its manifest, verified model files, and backends opened on them."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np

from lmsdk.runtime.backends import Backend, open_backend
from lmsdk.runtime.errors import ArtifactError, BackendUnavailableError, EngineIncompatibleError
from lmsdk.runtime.geometry import Box, crop_resize
from lmsdk.spec import COMPONENTS, Manifest, read_manifest, verify_file

PRECISIONS = ("fp32", "fp16")
MAX_BATCH = 64  # largest batch sent in one call (the TensorRT engines' profile maximum)

logger = logging.getLogger(__name__)


def run_in_chunks(backend: Backend, feed: dict[str, np.ndarray], max_batch: int) -> dict[str, np.ndarray]:
    """Run ``feed`` (all inputs share the batch dimension) in batches of at most ``max_batch``."""
    n = len(next(iter(feed.values())))
    if n <= max_batch:
        return backend.run(feed)
    parts = [backend.run({k: v[i : i + max_batch] for k, v in feed.items()}) for i in range(0, n, max_batch)]
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


class Artifact:
    """``manifest.json`` plus the model files it lists (each checked against its hash when opened)."""

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)
        self.manifest: Manifest = read_manifest(self.directory)

    def model_path(
        self, component: str, *, precision: str = "fp32", backend: str = "auto", device: str = "cpu"
    ) -> Path:
        """The file to run ``component`` with: a TensorRT engine when asked for (or on CUDA with ``auto`` and an
        engine present), otherwise the ONNX graph of ``precision``."""
        if component not in COMPONENTS:
            raise ArtifactError(f"unknown component {component!r}; one of {', '.join(COMPONENTS)}")
        if precision not in PRECISIONS:
            raise ArtifactError(f"unknown precision {precision!r}; one of {', '.join(PRECISIONS)}")
        files = self.manifest.files
        engine = f"{component}.trt"
        if (backend == "tensorrt" and engine in files) or (backend == "auto" and device == "cuda" and engine in files):
            key = engine
        else:
            key = component if precision == "fp32" else f"{component}.{precision}"
        if key not in files:
            raise ArtifactError(
                f"{self.directory}: the artifact has no {key} model (re-export with the options that produce it)"
            )
        return verify_file(self.directory, files[key])

    def open(
        self,
        component: str,
        *,
        precision: str = "fp32",
        backend: str = "auto",
        device: str = "cpu",
        threads: int | None = None,
    ) -> Backend:
        path = self.model_path(component, precision=precision, backend=backend, device=device)
        try:
            return open_backend(path, backend=backend, device=device, threads=threads)
        except (BackendUnavailableError, EngineIncompatibleError) as exc:
            if backend != "auto" or path.suffix != ".engine":
                raise
            logger.warning("%s; running %s through onnxruntime instead", exc, component)
            onnx_path = self.model_path(component, precision=precision, backend="onnxruntime", device=device)
            return open_backend(onnx_path, backend="onnxruntime", device=device, threads=threads)

    def preprocess(self, image_bgr: np.ndarray, box: Box) -> np.ndarray:
        """The graph input for one BGR uint8 image and crop box: ``(3, S, S)`` float32 RGB in ``[0, 1]``.

        The exact twin of training: the same crop-and-resize code, RGB order, scaling by 1/255 (the graph
        pads the crop itself).
        """
        if image_bgr.ndim != 3 or image_bgr.shape[2] != 3 or image_bgr.dtype != np.uint8:
            raise ValueError(f"expected an HxWx3 uint8 BGR image, got {image_bgr.dtype} {image_bgr.shape}")
        spec = self.manifest.input
        crop = crop_resize(image_bgr, box, spec.crop_size)
        rgb = crop[:, :, ::-1] if spec.color_order == "RGB" else crop
        return np.ascontiguousarray(rgb.transpose(2, 0, 1), np.float32) * np.float32(spec.scale)


class ArtifactPart:
    """One exported graph of an artifact (detector, encoder or decoder), opened on a backend.

    Args:
        artifact: an artifact directory written by ``lmsdk export`` (or an opened :class:`Artifact`).
        backend: ``"auto"``, ``"onnxruntime"`` or ``"tensorrt"``.
        device: ``"cpu"`` or ``"cuda"``.
        precision: ``"fp32"`` or ``"fp16"`` (the fp16 graph, for GPUs and TensorRT 11).
        threads: onnxruntime intra-op threads (None: its default).
    """

    component = ""

    def __init__(
        self,
        artifact: str | os.PathLike[str] | Artifact,
        *,
        backend: str = "auto",
        device: str = "cpu",
        precision: str = "fp32",
        threads: int | None = None,
    ) -> None:
        self.artifact = artifact if isinstance(artifact, Artifact) else Artifact(artifact)
        self.manifest = self.artifact.manifest
        self.backend = self.artifact.open(
            self.component, precision=precision, backend=backend, device=device, threads=threads
        )
        self.max_batch = MAX_BATCH

    @property
    def backend_name(self) -> str:
        """What actually runs the model, e.g. ``onnxruntime[CPUExecutionProvider]``."""
        return self.backend.name

    def close(self) -> None:
        self.backend.close()

    def __enter__(self) -> ArtifactPart:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
