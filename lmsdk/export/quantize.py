"""int8 detector graphs: onnxruntime static quantization (QDQ, per-channel weights) calibrated on the run's own
training crops, with a parity gate in pixels.

Quantization changes the arithmetic, so unlike fp32 the int8 graph cannot match the model to 1e-4: it is
gated instead on how far its landmarks land from the fp32 graph's on real training crops that calibration did
not see, in pixels of the model's crop: at most :data:`INT8_TOLERANCE_PX` on average and at the 99th
percentile. Only the network is quantized (convolutions, additions, activations); the padding, the softmax
and everything after it (the soft-argmax, the confidence, a named-point head) stay in float, where 8 bits would
cost a third of a pixel per step of every coordinate.
"""

from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from lmsdk.errors import ParityError

if TYPE_CHECKING:
    import onnx

logger = logging.getLogger(__name__)

INT8_TOLERANCE_PX = {"mean": 0.5, "p99": 2.0}  # crop pixels, int8 graph vs fp32 graph, held-out training crops
CALIBRATION_CROPS = 256
CHECK_CROPS = 256
QUANTIZED_OPS = ("Conv", "Add", "Relu", "LeakyRelu", "MaxPool", "Resize")


@dataclass(frozen=True)
class Int8Report:
    """How far the int8 detector's landmarks fall from the fp32 graph's, in crop pixels."""

    mean_px: float
    p99_px: float
    max_px: float
    crops: int

    @property
    def ok(self) -> bool:
        return self.mean_px <= INT8_TOLERANCE_PX["mean"] and self.p99_px <= INT8_TOLERANCE_PX["p99"]

    def describe(self) -> str:
        return (
            f"int8 detector vs fp32 on {self.crops} held-out training crops: mean {self.mean_px:.3f} px "
            f"(tol {INT8_TOLERANCE_PX['mean']}), p99 {self.p99_px:.3f} px (tol {INT8_TOLERANCE_PX['p99']}), "
            f"max {self.max_px:.3f} px"
        )


def calibration_split(crops: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Interleave ``(N, S, S, 3)`` uint8 RGB crops into a calibration half and a held-out check half, as
    ``(n, 3, S, S)`` float32 graph inputs in ``[0, 1]``."""
    x = crops.transpose(0, 3, 1, 2).astype(np.float32) / np.float32(255.0)
    return np.ascontiguousarray(x[0::2]), np.ascontiguousarray(x[1::2])


def quantize_detector(fp32_path: Path, int8_path: Path, calibration: np.ndarray) -> Path:
    """Write ``int8_path``: the fp32 detector graph with int8 convolutions (QDQ; weights per channel, signed;
    activations unsigned), calibrated on ``calibration`` ``(n, 3, S, S)`` inputs (min-max ranges)."""
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    class Reader(CalibrationDataReader):
        def __init__(self) -> None:
            self.batches = iter(calibration[i : i + 1] for i in range(len(calibration)))

        def get_next(self) -> dict[str, np.ndarray] | None:
            batch = next(self.batches, None)
            return None if batch is None else {"image": batch}

    with tempfile.TemporaryDirectory() as folder:
        prepared = Path(folder) / "prepared.onnx"
        quant_pre_process(str(fp32_path), str(prepared), skip_symbolic_shape=True)
        import onnx

        graph = onnx.load(str(prepared))
        float_tail = after_softmax(graph.graph)
        onnx.save(graph, str(prepared))  # with every node named, as nodes_to_exclude needs
        quantize_static(
            str(prepared),
            str(int8_path),
            Reader(),
            quant_format=QuantFormat.QDQ,
            per_channel=True,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
            op_types_to_quantize=list(QUANTIZED_OPS),
            nodes_to_exclude=float_tail,
        )
    return int8_path


def after_softmax(graph: onnx.GraphProto) -> list[str]:
    """The names of the nodes the per-pixel softmax feeds, directly or not: the soft-argmax, the confidence and a
    named-point head, which must stay in float (their additions would otherwise be quantized to 8 bits, a third
    of a crop pixel per step on the landmark coordinates). Unnamed nodes get a name here."""
    for i, node in enumerate(graph.node):
        if not node.name:
            node.name = f"lmsdk_node_{i}"
    consumers: dict[str, list[onnx.NodeProto]] = {}
    for node in graph.node:
        for name in node.input:
            consumers.setdefault(name, []).append(node)
    tail: dict[str, None] = {}
    frontier = [n for n in graph.node if n.op_type == "Softmax"]
    while frontier:
        node = frontier.pop()
        for output in node.output:
            for consumer in consumers.get(output, []):
                if consumer.name not in tail:
                    tail[consumer.name] = None
                    frontier.append(consumer)
    return list(tail)


def check_int8(fp32_path: Path, int8_path: Path, held_out: np.ndarray) -> Int8Report:
    """Landmark distance in crop pixels between the two graphs on ``held_out`` ``(n, 3, S, S)`` inputs."""
    from lmsdk.runtime.backends import OrtBackend

    size = held_out.shape[-1]
    outputs = []
    for path in (fp32_path, int8_path):
        backend = OrtBackend(path, threads=None)
        try:
            outputs.append(
                np.concatenate(
                    [backend.run({"image": held_out[i : i + 64]})["landmarks"] for i in range(0, len(held_out), 64)]
                )
            )
        finally:
            backend.close()
    distance = np.linalg.norm((outputs[0] - outputs[1]) * size, axis=-1)
    return Int8Report(float(distance.mean()), float(np.percentile(distance, 99)), float(distance.max()), len(held_out))


def int8_detector(fp32_path: Path, int8_path: Path, crops: np.ndarray) -> Int8Report:
    """Quantize and gate: raises :class:`ParityError` (with the figures) when the int8 graph is beyond tolerance."""
    calibration, held_out = calibration_split(crops)
    quantize_detector(fp32_path, int8_path, calibration)
    report = check_int8(fp32_path, int8_path, held_out)
    logger.info("%s", report.describe())
    if not report.ok:
        raise ParityError(f"int8 parity gate failed: {report.describe()}")
    return report
