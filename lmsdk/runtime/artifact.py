"""An exported artifact directory: its manifest, verified model files, and backends opened on them."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np

from lmsdk.errors import ArtifactError, BackendUnavailableError, ConfigError, EngineIncompatibleError
from lmsdk.geometry import Box, bgr_to_rgb, crop_resize, from_model_output, rgb_to_bgr, to_model_input
from lmsdk.runtime.backends import Backend, open_backend
from lmsdk.spec import (
    COMPONENTS,
    GENERATOR,
    OPTIONAL_COMPONENTS,
    PRIOR,
    TRACKER,
    Manifest,
    ModelFile,
    read_manifest,
    verify_artifact,
    verify_file,
)
from lmsdk.zoo import resolve_artifact

PRECISIONS = ("fp32", "fp16", "int8")  # int8: the detector only (lmsdk export --int8)
MAX_BATCH = 64  # largest batch sent in one call (the TensorRT engines' profile maximum)
# Graphs up to this many multiply-adds per image run on one onnxruntime thread by default: splitting a few
# million multiply-adds across threads costs more in hand-offs than it saves, and one thread leaves the other
# cores to decoding (measured for the lite detectors: docs/lite.md).
SINGLE_THREAD_MACS = 50_000_000
# How to get an optional part an artifact lacks.
MISSING_PART = {
    GENERATOR: "export a generator run: lmsdk train-generator RUN --out GEN_RUN, then lmsdk export GEN_RUN "
    "--out ARTIFACT",
    PRIOR: "re-export the run with this lmsdk; a model without descriptors has none",
    TRACKER: "export a distilled run: lmsdk distill RUN --out LITE_RUN, then lmsdk export LITE_RUN --out ARTIFACT",
}

logger = logging.getLogger(__name__)


def run_in_chunks(backend: Backend, feed: dict[str, np.ndarray], max_batch: int) -> dict[str, np.ndarray]:
    """Run ``feed`` (all inputs share the batch dimension) in batches of at most ``max_batch``."""
    n = len(next(iter(feed.values())))
    if n <= max_batch:
        return backend.run(feed)
    parts = [backend.run({k: v[i : i + max_batch] for k, v in feed.items()}) for i in range(0, n, max_batch)]
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


def default_threads(entry: ModelFile, device: str) -> int | None:
    """onnxruntime intra-op threads for a graph when the caller names none: one for a small graph on the CPU
    (:data:`SINGLE_THREAD_MACS`), else None (onnxruntime's default: one per core)."""
    small = entry.macs is not None and entry.macs <= SINGLE_THREAD_MACS
    return 1 if device == "cpu" and small else None


def check_graph(backend: Backend, entry: ModelFile, path: Path) -> None:
    """Refuse a graph whose inputs and outputs differ from what the manifest says (names and static dimensions)."""
    listed = {t.name: t.shape for t in (*entry.inputs, *entry.outputs)}
    actual = dict(backend.shapes)
    if set(listed) != set(actual):
        raise ArtifactError(
            f"{path}: the graph's tensors ({', '.join(sorted(actual))}) are not the manifest's "
            f"({', '.join(sorted(listed))})"
        )
    for name, want in listed.items():
        have = actual[name]
        fixed = [w if isinstance(w, int) else None for w in want]
        mismatch = len(have) != len(want)
        if mismatch or any(w is not None and h is not None and h != w for w, h in zip(fixed, have, strict=True)):
            shown = [h if h is not None else "N" for h in have]
            raise ArtifactError(
                f"{path}: tensor {name!r} has shape {shown} in the graph but {list(want)} in the manifest "
                "(the manifest does not describe this model)"
            )


class Artifact:
    """``manifest.json`` plus the files it lists: every one checked against its hash when the artifact is opened
    (and again when a graph is opened), each graph against the manifest's shapes.

    Args:
        directory: a folder written by ``lmsdk export``, or the name of a shipped model (``"faces"``,
            :mod:`lmsdk.zoo`); a path that exists wins over a name.
    """

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        if not isinstance(directory, (str, os.PathLike)):
            raise ArtifactError(f"artifact {directory!r}: give the path of a folder written by lmsdk export")
        self.directory = resolve_artifact(directory)
        self.manifest: Manifest = read_manifest(self.directory)
        verify_artifact(self.directory, self.manifest)

    @property
    def has_tracker(self) -> bool:
        """Whether the artifact carries a distilled lite detector for video (the ``tracker`` graph)."""
        return TRACKER in self.manifest.files

    def model_path(
        self, component: str, *, precision: str = "fp32", backend: str = "auto", device: str = "cpu"
    ) -> Path:
        """The file to run ``component`` with: a TensorRT engine when asked for (or on CUDA with ``auto`` and an
        engine present), otherwise the ONNX graph of ``precision``."""
        return verify_file(
            self.directory, self.model_entry(component, precision=precision, backend=backend, device=device)
        )

    def model_entry(
        self, component: str, *, precision: str = "fp32", backend: str = "auto", device: str = "cpu"
    ) -> ModelFile:
        """The manifest entry :meth:`model_path` runs."""
        if component not in (*COMPONENTS, *OPTIONAL_COMPONENTS):
            raise ArtifactError(
                f"unknown component {component!r}; one of {', '.join(COMPONENTS + OPTIONAL_COMPONENTS)}"
            )
        if component in OPTIONAL_COMPONENTS and component not in self.manifest.files:
            raise ArtifactError(f"{self.directory}: the artifact has no {component} ({MISSING_PART[component]})")
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
        return files[key]

    def open(
        self,
        component: str,
        *,
        precision: str = "fp32",
        backend: str = "auto",
        device: str = "cpu",
        threads: int | None = None,
    ) -> Backend:
        """Open ``component`` on a backend, after checking its file (hash, place) and its graph (shapes)."""
        if threads is not None and (isinstance(threads, bool) or not isinstance(threads, int) or threads < 1):
            raise ConfigError(f"threads {threads!r}: a positive whole number, or None for lmsdk's default")
        entry = self.model_entry(component, precision=precision, backend=backend, device=device)
        path = verify_file(self.directory, entry)
        threads = threads or default_threads(entry, device)
        try:
            opened = open_backend(path, backend=backend, device=device, threads=threads)
        except (BackendUnavailableError, EngineIncompatibleError) as exc:
            if backend != "auto" or path.suffix != ".engine":
                raise
            logger.warning("%s; running %s through onnxruntime instead", exc, component)
            entry = self.model_entry(component, precision=precision, backend="onnxruntime", device=device)
            path = verify_file(self.directory, entry)
            opened = open_backend(path, backend="onnxruntime", device=device, threads=threads)
        try:
            check_graph(opened, entry, path)
        except ArtifactError:
            opened.close()
            raise
        return opened

    def preprocess(self, image_bgr: np.ndarray, box: Box) -> np.ndarray:
        """The graph input for one checked BGR uint8 image (:func:`lmsdk.runtime.inputs.as_image`) and crop box:
        ``(3, S, S)`` float32 in the manifest's colour order (RGB) and scale (``[0, 1]``).

        The exact twin of training: the same crop-and-resize code (:mod:`lmsdk.geometry`), the colour rule's one
        swap, scaling by 1/255 (the graph pads the crop itself).
        """
        spec = self.manifest.input
        crop = crop_resize(image_bgr, box, spec.crop_size)
        ordered = bgr_to_rgb(crop) if spec.color_order == "RGB" else crop
        return to_model_input(ordered[None], spec.scale)[0]

    def postprocess(self, images: np.ndarray) -> np.ndarray:
        """BGR uint8 images from a graph's image output (a decoder's or a generator's): ``(N, 3, S, S)`` float in
        ``[0, 1]`` in the manifest's colour order -> ``(N, S, S, 3)`` uint8 BGR, C-contiguous.

        The twin of :meth:`preprocess`: the numpy twin of training's conversion
        (:func:`~lmsdk.geometry.from_model_output`, rounded and clipped) and the colour rule's one swap.
        """
        decoded = from_model_output(images)
        return np.ascontiguousarray(rgb_to_bgr(decoded) if self.manifest.input.color_order == "RGB" else decoded)


class ArtifactPart:
    """One exported graph of an artifact (detector, encoder, decoder, prior or generator), opened on a backend.

    Args:
        artifact: an artifact directory written by ``lmsdk export`` (or an opened :class:`Artifact`).
        backend: ``"auto"``, ``"onnxruntime"`` or ``"tensorrt"``.
        device: ``"cpu"`` or ``"cuda"``.
        precision: ``"fp32"`` or ``"fp16"`` (the fp16 graph, for GPUs and TensorRT 11).
        threads: onnxruntime intra-op threads (None: one for a small graph, :func:`default_threads`, else
            onnxruntime's default).
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
        self.precision = precision  # the graph's precision: fp32, fp16 or int8
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
