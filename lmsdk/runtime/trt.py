"""Native TensorRT engines (TensorRT 10/11 named-tensor API, cuda-python buffers); imported only when used.

Every engine has a sidecar ``<file>.json`` with the TensorRT version, GPU, compute capability, precision
and batch profile it was built with. An engine is refused, with the command that rebuilds it, when this
machine's TensorRT version or GPU differs: a mismatched plan either fails to deserialize or, worse,
runs wrongly.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import numpy as np

from lmsdk.errors import BackendUnavailableError, EngineIncompatibleError, InputError
from lmsdk.runtime.devices import cuda_device_count

logger = logging.getLogger(__name__)


def import_tensorrt():
    """The ``tensorrt`` module, or a one-line :class:`BackendUnavailableError` with the install hint."""
    try:
        import tensorrt
    except ImportError:
        raise BackendUnavailableError(
            "TensorRT is not installed: pip install 'lmsdk[trt]' on a machine with an NVIDIA GPU"
        ) from None
    return tensorrt


def require_gpu(what: str) -> None:
    """Raise a clear error before TensorRT's own cryptic one when no NVIDIA GPU and driver are present."""
    if cuda_device_count() == 0:
        raise BackendUnavailableError(
            f"{what} needs an NVIDIA GPU with a driver; none found (libcuda.so.1 missing or no device)"
        )


def sidecar_path(engine: Path) -> Path:
    return engine.with_name(engine.name + ".json")


def read_sidecar(engine: Path) -> dict[str, Any]:
    path = sidecar_path(engine)
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise EngineIncompatibleError(f"{path}: sidecar missing; rebuild the engine with lmsdk export --trt") from None
    except json.JSONDecodeError as exc:
        raise EngineIncompatibleError(f"{path}: not valid JSON ({exc})") from None


def check_engine_compatible(sidecar: dict[str, Any], trt_version: str, gpu_name: str, engine: Path) -> None:
    """Refuse an engine built by another TensorRT version or for another GPU (pure; tested without a GPU)."""
    built_trt, built_gpu = sidecar.get("tensorrt"), sidecar.get("gpu")
    if built_trt != trt_version or built_gpu != gpu_name:
        raise EngineIncompatibleError(
            f"{engine}: built with TensorRT {built_trt} for {built_gpu}; this machine has TensorRT {trt_version} "
            f"on {gpu_name}. Rebuild it here: lmsdk export RUN_DIR --out {engine.parent} --trt"
        )


def gpu_name(device: int = 0) -> str:
    from cuda.bindings import runtime as cudart

    err, props = cudart.cudaGetDeviceProperties(device)
    _check(err)
    name = props.name
    return name.decode() if isinstance(name, bytes) else str(name)


def _check(err: Any) -> None:
    from cuda.bindings import runtime as cudart

    if err != cudart.cudaError_t.cudaSuccess:
        raise RuntimeError(f"CUDA error {cudart.cudaGetErrorName(err)[1]}")


class TrtBackend:
    """A deserialized TensorRT engine with device buffers grown on demand."""

    def __init__(self, path: str | Path, *, device: str = "cuda") -> None:
        path = Path(path)
        if device != "cuda":
            raise BackendUnavailableError(f"{path}: TensorRT engines run on a GPU; pass device='cuda'")
        trt = import_tensorrt()
        require_gpu("a TensorRT engine")
        from cuda.bindings import runtime as cudart

        self.cudart = cudart
        check_engine_compatible(read_sidecar(path), trt.__version__, gpu_name(), path)
        self.trt = trt
        self.runtime = trt.Runtime(trt.Logger(trt.Logger.WARNING))
        self.engine = self.runtime.deserialize_cuda_engine(path.read_bytes())
        if self.engine is None:
            raise EngineIncompatibleError(f"{path}: TensorRT could not deserialize the engine; rebuild it here")
        self.context = self.engine.create_execution_context()
        err, self.stream = cudart.cudaStreamCreate()
        _check(err)
        names = [self.engine.get_tensor_name(i) for i in range(self.engine.num_io_tensors)]
        self.input_names = [n for n in names if self.engine.get_tensor_mode(n) == trt.TensorIOMode.INPUT]
        self.output_names = [n for n in names if n not in self.input_names]
        self.shapes = {n: tuple(d if d >= 0 else None for d in self.engine.get_tensor_shape(n)) for n in names}
        self.name = f"tensorrt[{trt.__version__}]"
        self._buffers: dict[str, tuple[int, int]] = {}

    def _bind(self, name: str, nbytes: int) -> int:
        ptr, capacity = self._buffers.get(name, (0, 0))
        if capacity < nbytes:
            if ptr:
                _check(self.cudart.cudaFree(ptr)[0])
            err, ptr = self.cudart.cudaMalloc(nbytes)
            _check(err)
            self._buffers[name] = (ptr, nbytes)
        self.context.set_tensor_address(name, ptr)
        return ptr

    def run(self, feed: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        cudart, trt = self.cudart, self.trt
        h2d, d2h = cudart.cudaMemcpyKind.cudaMemcpyHostToDevice, cudart.cudaMemcpyKind.cudaMemcpyDeviceToHost
        keep = []
        for name in self.input_names:
            x = np.ascontiguousarray(feed[name], dtype=trt.nptype(self.engine.get_tensor_dtype(name)))
            keep.append(x)
            if not self.context.set_input_shape(name, x.shape):
                raise InputError(f"input {name} of shape {x.shape} is outside the engine's batch profile")
            _check(cudart.cudaMemcpyAsync(self._bind(name, x.nbytes), x.ctypes.data, x.nbytes, h2d, self.stream)[0])
        out = {
            n: np.empty(tuple(self.context.get_tensor_shape(n)), trt.nptype(self.engine.get_tensor_dtype(n)))
            for n in self.output_names
        }
        for name, array in out.items():
            self._bind(name, array.nbytes)
        if not self.context.execute_async_v3(self.stream):
            raise RuntimeError("TensorRT enqueue failed")
        for name, array in out.items():
            _check(cudart.cudaMemcpyAsync(array.ctypes.data, self._buffers[name][0], array.nbytes, d2h, self.stream)[0])
        _check(cudart.cudaStreamSynchronize(self.stream)[0])
        return {k: v.astype(np.float32, copy=False) for k, v in out.items()}

    def close(self) -> None:
        for ptr, _ in self._buffers.values():
            self.cudart.cudaFree(ptr)
        self._buffers.clear()
        self.cudart.cudaStreamDestroy(self.stream)
