"""TensorRT engines from the exported ONNX graphs (TensorRT 10 and 11 Python API), parity-checked.

Only the batch dimension is dynamic; each engine gets one optimization profile over it. fp16 engines
come from the fp16 ONNX graph parsed as a strongly typed network (precision is in the graph), on
TensorRT 10 and 11 alike; fp32 engines clear TF32. Engines are specific to a GPU and TensorRT
version, so each gets a sidecar JSON and is rebuilt, not copied, for another machine.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from lmsdk.errors import EngineBuildError
from lmsdk.runtime.trt import gpu_name, import_tensorrt, require_gpu, sidecar_path

logger = logging.getLogger(__name__)

BATCH_PROFILE = (1, 8, 64)  # min, opt, max batch


def require_tensorrt(what: str) -> None:
    """Raise :class:`~lmsdk.errors.BackendUnavailableError` unless TensorRT imports and an NVIDIA GPU is present."""
    import_tensorrt()
    require_gpu(what)


def build_engine(
    onnx_path: Path,
    engine_path: Path,
    *,
    fp16: bool,
    fp16_onnx: Path | None = None,
    batch: tuple[int, int, int] = BATCH_PROFILE,
    workspace_gib: float = 2.0,
) -> dict[str, Any]:
    """Build ``engine_path`` from ``onnx_path`` (or ``fp16_onnx`` for fp16 on TensorRT 11); returns the sidecar."""
    trt = import_tensorrt()
    require_gpu("TensorRT export")
    if fp16 and fp16_onnx is None:
        raise EngineBuildError(f"{engine_path}: an fp16 engine needs the fp16 ONNX graph (export with --fp16)")
    trt_logger = trt.Logger(trt.Logger.WARNING)
    builder = trt.Builder(trt_logger)
    # fp16 engines come from the fp16 graph, strongly typed (precision from the graph: the reductions the
    # graph keeps in fp32 stay fp32); TensorRT 11 is always strongly typed.
    strongly_typed = getattr(trt.NetworkDefinitionCreationFlag, "STRONGLY_TYPED", None)
    flags = 1 << int(strongly_typed) if fp16 and strongly_typed is not None else 0
    network = builder.create_network(flags)
    parser = trt.OnnxParser(network, trt_logger)
    source = fp16_onnx if fp16 and fp16_onnx is not None else onnx_path
    if not parser.parse_from_file(str(source)):
        errors = "; ".join(str(parser.get_error(i)) for i in range(parser.num_errors))
        raise EngineBuildError(f"{source}: TensorRT cannot parse the graph ({errors})")
    config = builder.create_builder_config()
    config.set_memory_pool_limit(trt.MemoryPoolType.WORKSPACE, int(workspace_gib * (1 << 30)))
    if not fp16 and hasattr(trt.BuilderFlag, "TF32"):
        config.clear_flag(trt.BuilderFlag.TF32)  # fp32 engines are fp32, not TF32 (Ampere and later)
    profile = builder.create_optimization_profile()
    for i in range(network.num_inputs):
        tensor = network.get_input(i)
        shapes = [tuple(b if d == -1 else d for d in tensor.shape) for b in batch]
        profile.set_shape(tensor.name, *shapes)
    config.add_optimization_profile(profile)
    blob = builder.build_serialized_network(network, config)
    if blob is None:
        raise EngineBuildError(f"{engine_path}: TensorRT engine build failed")
    engine_path.write_bytes(bytes(blob))
    sidecar = {
        "tensorrt": trt.__version__,
        "gpu": gpu_name(),
        "precision": "fp16" if fp16 else "fp32",
        "batch_profile": list(batch),
        "source": source.name,
    }
    sidecar_path(engine_path).write_text(json.dumps(sidecar, indent=2) + "\n")
    logger.info(
        "built %s (%s, TensorRT %s on %s)", engine_path.name, sidecar["precision"], sidecar["tensorrt"], sidecar["gpu"]
    )
    return sidecar
