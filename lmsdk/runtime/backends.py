"""Inference backends behind one seam: ``run(feed) -> outputs`` on named numpy arrays.

The backend is chosen once, when a model is opened (:func:`open_backend`), never per call. Each reports
what it actually runs on (:attr:`Backend.name`), and asking for a GPU that is not obtained logs a warning
rather than silently running on the CPU.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import numpy as np

from lmsdk.errors import ArtifactError, BackendUnavailableError
from lmsdk.runtime.devices import cuda_device_count

__all__ = ["BACKENDS", "DEVICES", "Backend", "OrtBackend", "cuda_device_count", "open_backend", "resolve_providers"]

logger = logging.getLogger(__name__)

BACKENDS = ("auto", "onnxruntime", "tensorrt")
DEVICES = ("cpu", "cuda")


class Backend(Protocol):
    """A loaded model: named float32 inputs in, named outputs out."""

    name: str  # what actually runs it, e.g. "onnxruntime[CPUExecutionProvider]"
    input_names: list[str]
    output_names: list[str]
    shapes: dict[str, tuple[int | None, ...]]  # every input and output; None marks a dynamic dimension

    def run(self, feed: dict[str, np.ndarray]) -> dict[str, np.ndarray]: ...

    def close(self) -> None: ...


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


def _load_errors(ort) -> tuple[type[BaseException], ...]:
    """onnxruntime's exceptions for a model file it cannot load (they derive from Exception only)."""
    state = ort.capi.onnxruntime_pybind11_state
    names = ("InvalidProtobuf", "InvalidGraph", "Fail", "NoSuchFile", "InvalidArgument", "NotImplemented")
    return tuple(getattr(state, n) for n in names if hasattr(state, n))


def _dims(shape: list[object]) -> tuple[int | None, ...]:
    return tuple(d if isinstance(d, int) and d >= 0 else None for d in shape)


class OrtBackend:
    """An onnxruntime session on the CPU, CUDA or TensorRT execution provider.

    Raises:
        ArtifactError: onnxruntime cannot load the file (corrupt, not ONNX, an unsupported graph).
        BackendUnavailableError: ``tensorrt=True`` but onnxruntime has no TensorRT execution provider.
    """

    def __init__(
        self, path: str | os.PathLike[str], *, device: str = "cpu", tensorrt: bool = False, threads: int | None = None
    ) -> None:
        ort = _import_onnxruntime()
        options = ort.SessionOptions()
        options.log_severity_level = 3
        if threads:
            options.intra_op_num_threads = threads
        available = ort.get_available_providers()
        if tensorrt and "TensorrtExecutionProvider" not in available:
            raise BackendUnavailableError(
                f"{Path(path).name}: TensorRT was asked for, but there is no engine in the artifact and onnxruntime "
                f"has no TensorRT provider (it has {', '.join(available)}); install TensorRT (pip install "
                "'lmsdk[trt]') and export with --trt, or use --backend onnxruntime"
            )
        providers = resolve_providers(
            device, available, tensorrt=tensorrt, cache_dir=str(Path(path).parent / "trt_cache")
        )
        try:
            self.session = ort.InferenceSession(str(path), sess_options=options, providers=providers)
        except _load_errors(ort) as exc:
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ArtifactError(f"{path}: onnxruntime cannot load this model ({reason})") from None
        used = self.session.get_providers()
        self.name = f"onnxruntime[{used[0]}]"
        if tensorrt and used[0] != "TensorrtExecutionProvider":
            raise BackendUnavailableError(f"{Path(path).name}: onnxruntime could not start its TensorRT provider")
        if device == "cuda" and used[0] == "CPUExecutionProvider":
            logger.warning(
                "a GPU was asked for but onnxruntime runs %s on the CPU (available providers: %s); "
                "install lmsdk[gpu] with a matching CUDA/cuDNN",
                Path(path).name,
                ", ".join(ort.get_available_providers()),
            )
        self.input_names = [i.name for i in self.session.get_inputs()]
        self.output_names = [o.name for o in self.session.get_outputs()]
        self.shapes = {t.name: _dims(t.shape) for t in [*self.session.get_inputs(), *self.session.get_outputs()]}

    def run(self, feed: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        outputs = self.session.run(self.output_names, {k: np.ascontiguousarray(v, np.float32) for k, v in feed.items()})
        return dict(zip(self.output_names, outputs, strict=True))

    def bound(self, inputs: dict[str, np.ndarray], outputs: dict[str, np.ndarray]) -> Callable[[], None]:
        """A run with onnxruntime's I/O binding: it reads ``inputs`` and writes ``outputs`` in place (contiguous
        float32 arrays the caller owns and keeps alive), so a call allocates no arrays."""
        binding = self.session.io_binding()
        for name, array in inputs.items():
            binding.bind_cpu_input(name, array)
        for name, array in outputs.items():
            binding.bind_output(name, "cpu", 0, np.float32, list(array.shape), array.ctypes.data)
        session = self.session

        def run() -> None:
            session.run_with_iobinding(binding)

        return run

    def close(self) -> None:
        self.session = None


def open_backend(
    path: str | os.PathLike[str], *, backend: str = "auto", device: str = "cpu", threads: int | None = None
) -> Backend:
    """Open a model file with the requested backend.

    ``backend="auto"`` takes a native TensorRT engine when ``path`` is one, else onnxruntime (CUDA provider
    with ``device="cuda"``). ``"tensorrt"`` runs an engine, or an ``.onnx`` path through onnxruntime's TensorRT
    provider; where neither is possible it raises instead of running something else.
    """
    if backend not in BACKENDS:
        raise BackendUnavailableError(f"unknown backend {backend!r}; use one of {', '.join(BACKENDS)}")
    if device not in DEVICES:
        raise BackendUnavailableError(f"unknown device {device!r}; use one of {', '.join(DEVICES)}")
    if backend == "tensorrt" and device != "cuda":
        raise BackendUnavailableError("TensorRT runs on NVIDIA GPUs: pass device 'cuda' (--device cuda) with it")
    path = Path(path)
    if path.suffix == ".engine":
        from lmsdk.runtime.trt import TrtBackend

        return TrtBackend(path, device=device)
    return OrtBackend(path, device=device, tensorrt=backend == "tensorrt", threads=threads)
