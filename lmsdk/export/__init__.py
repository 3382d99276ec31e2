"""Export: ONNX graphs (fp32, fp16) and TensorRT engines of a trained run, with a parity gate and a manifest."""

from lmsdk.errors import ParityError
from lmsdk.export.export import ExportResult, export_run
from lmsdk.export.parity import TOLERANCES, ParityReport

__all__ = ["TOLERANCES", "ExportResult", "ParityError", "ParityReport", "export_run"]
