"""Inference backends behind one seam: ``run(feed) -> outputs`` on named numpy arrays.

The backend is chosen once, when a model is opened (:func:`open_backend`), never per call. Each reports
what it actually runs on (:attr:`Backend.name`), and asking for a GPU that is not obtained logs a warning
rather than silently running on the CPU.
"""

from __future__ import annotations

import ctypes
import logging
import os
import sys
from pathlib import Path
from typing import Protocol

import numpy as np

from lmsdk.runtime.errors import BackendUnavailableError

logger = logging.getLogger(__name__)

BACKENDS = ("auto", "onnxruntime", "tensorrt")
DEVICES = ("cpu", "cuda")


class Backend(Protocol):
    """A loaded model: named float32 inputs in, named outputs out."""

    name: str  # what actually runs it, e.g. "onnxruntime[CPUExecutionProvider]"
    input_names: list[str]
    output_names: list[str]

    def run(self, feed: dict[str, np.ndarray]) -> dict[str, np.ndarray]: ...

    def close(self) -> None: ...


def cuda_device_count() -> int:
    """NVIDIA GPUs the driver reports (0 without a driver); needs neither torch nor TensorRT."""
    try:
        lib = ctypes.CDLL("nvcuda.dll" if sys.platform == "win32" else "libcuda.so.1")
    except OSError:
        return 0
    count = ctypes.c_int(0)
    if lib.cuInit(0) != 0 or lib.cuDeviceGetCount(ctypes.byref(count)) != 0:
        return 0
    return count.value


def resolve_providers(
    device: str, available: list[str], *, tensorrt: bool = False, cache_dir: str | None = None
) -> list[str | tuple[str, dict[str, object]]]:
    """onnxruntime execution providers, in order of preference, for ``device`` (pure; tested with fakes)."""
    if device not in DEVICES:
        raise BackendUnavailableError(f"unknown device {device!r}; use one of {', '.join(DEVICES)}")
    wanted: list[str | tuple[str, dict[str, object]]] = []
    if device == "cuda":
        if tensorrt and "TensorrtExecutionProvider" in available:
            options: dict[str, object] = {"trt_engine_cache_enable": True}
            if cache_dir:
                options["trt_engine_cache_path"] = cache_dir
            wanted.append(("TensorrtExecutionProvider", options))
        if "CUDAExecutionProvider" in available:
            wanted.append("CUDAExecutionProvider")
    wanted.append("CPUExecutionProvider")
    return wanted


def _import_onnxruntime():
    try:
        import onnxruntime
    except ImportError:
        raise BackendUnavailableError(
            "onnxruntime is not installed: pip install 'lmsdk[cpu]' (or 'lmsdk[gpu]' for CUDA; never both)"
        ) from None
    return onnxruntime


class OrtBackend:
    """An onnxruntime session on the CPU, CUDA or TensorRT execution provider."""

    def __init__(
        self, path: str | os.PathLike[str], *, device: str = "cpu", tensorrt: bool = False, threads: int | None = None
    ) -> None:
        ort = _import_onnxruntime()
        options = ort.SessionOptions()
        options.log_severity_level = 3
        if threads:
            options.intra_op_num_threads = threads
        providers = resolve_providers(
            device, ort.get_available_providers(), tensorrt=tensorrt, cache_dir=str(Path(path).parent / "trt_cache")
        )
        self.session = ort.InferenceSession(str(path), sess_options=options, providers=providers)
        used = self.session.get_providers()
        self.name = f"onnxruntime[{used[0]}]"
        if device == "cuda" and used[0] == "CPUExecutionProvider":
            logger.warning(
                "a GPU was asked for but onnxruntime runs %s on the CPU (available providers: %s); "
                "install lmsdk[gpu] with a matching CUDA/cuDNN",
                Path(path).name,
                ", ".join(ort.get_available_providers()),
            )
        self.input_names = [i.name for i in self.session.get_inputs()]
        self.output_names = [o.name for o in self.session.get_outputs()]

    def run(self, feed: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        outputs = self.session.run(self.output_names, {k: np.ascontiguousarray(v, np.float32) for k, v in feed.items()})
        return dict(zip(self.output_names, outputs, strict=True))

    def close(self) -> None:
        self.session = None


def open_backend(
    path: str | os.PathLike[str], *, backend: str = "auto", device: str = "cpu", threads: int | None = None
) -> Backend:
    """Open a model file with the requested backend.

    ``backend="auto"`` takes a native TensorRT engine when ``path`` is one, else onnxruntime (CUDA provider
    with ``device="cuda"``). ``"tensorrt"`` with an ``.onnx`` path uses onnxruntime's TensorRT provider.
    """
    if backend not in BACKENDS:
        raise BackendUnavailableError(f"unknown backend {backend!r}; use one of {', '.join(BACKENDS)}")
    path = Path(path)
    if path.suffix == ".engine":
        from lmsdk.runtime.trt import TrtBackend

        return TrtBackend(path, device=device)
    return OrtBackend(path, device=device, tensorrt=backend == "tensorrt" and device == "cuda", threads=threads)
