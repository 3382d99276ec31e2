"""ONNX graphs of the three parts, written as single self-contained files and checked by ``onnx.checker``.

Exporter and opset are pinned: the TorchScript exporter at opset 17. On torch 2.13 the dynamo exporter
(its default, opset 18) produced graphs that differed from eager PyTorch by 1.5e-3 in landmark
coordinates and 0.2 in decoder pixels on the tiny model, while the TorchScript exporter matched to 1e-6
(docs/decisions.md); the parity gate would catch either. Only the batch dimension ``N`` is dynamic.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import onnx
import torch
from torch import nn

from lmsdk.export.wrappers import GRAPHS, example_inputs, io_names
from lmsdk.model.autoencoder import LandmarkAutoencoder

OPSET = 17
EXPORTER = "torch.onnx TorchScript exporter"


def export_component(model: LandmarkAutoencoder, component: str, path: Path, graph: nn.Module | None = None) -> Path:
    """Export ``component`` of ``model`` (eval mode; or the given export ``graph``) to ``path`` and validate it."""
    graph = (graph or GRAPHS[component](model)).eval()
    inputs = example_inputs(model, component, batch=2, generator=torch.Generator().manual_seed(0))
    named = getattr(graph, "regressor", None) is not None
    return export_graph(graph, inputs, *io_names(model, component, named), path)


def multiply_adds(model: LandmarkAutoencoder, component: str, graph: nn.Module | None = None) -> int:
    """Multiply-adds of ``component`` (or the given export ``graph``) for one image, as torch's FlopCounterMode
    counts them (convolutions and matrix products: what sets the cost of a small graph)."""
    from torch.utils.flop_counter import FlopCounterMode

    graph = (graph or GRAPHS[component](model)).eval()
    inputs = example_inputs(model, component, batch=1, generator=torch.Generator().manual_seed(0))
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        graph(*inputs)
    return int(counter.get_total_flops() // 2)


def export_graph(
    graph: nn.Module, inputs: tuple[torch.Tensor, ...], input_names: list[str], output_names: list[str], path: Path
) -> Path:
    """Export ``graph`` (eval mode) traced on example ``inputs`` to ``path``, every tensor's first dimension ``N``
    dynamic, and validate it with ``onnx.checker``."""
    graph = graph.eval()
    path.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation notice; the choice is deliberate
        torch.onnx.export(
            graph,
            inputs,
            str(path),
            dynamo=False,
            opset_version=OPSET,
            do_constant_folding=True,
            input_names=input_names,
            output_names=output_names,
            dynamic_axes={name: {0: "N"} for name in input_names + output_names},
        )
    onnx.checker.check_model(onnx.load(str(path)), full_check=True)
    return path


def to_fp16(source: Path, target: Path) -> Path:
    """An fp16 copy of an fp32 graph with fp32 inputs and outputs (what TensorRT 11 needs for fp16).

    Reductions and the softmax stay in fp32 so soft-argmax sums over thousands of pixels keep their
    precision.
    """
    from onnxruntime.transformers.float16 import DEFAULT_OP_BLOCK_LIST, convert_float_to_float16

    model = onnx.load(str(source))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        half = convert_float_to_float16(
            model, keep_io_types=True, op_block_list=sorted(set(DEFAULT_OP_BLOCK_LIST) | set(FP32_OPS))
        )
    _sort_nodes(half.graph)  # the converter appends its input casts after their consumers
    onnx.save(half, str(target))
    onnx.checker.check_model(onnx.load(str(target)), full_check=True)
    return target


# Ops kept in fp32 inside fp16 graphs: reductions, normalisations and the exponentials of the heatmaps.
FP32_OPS = [
    "Softmax",
    "ReduceSum",
    "ReduceMax",
    "ReduceMean",
    "Exp",
    "Log",
    "Sqrt",
    "Pow",
    "BatchNormalization",
    "Einsum",
    "Div",
    "Range",
]


def _sort_nodes(graph: onnx.GraphProto) -> None:
    """Reorder ``graph.node`` topologically (stable: the original order wherever it is already valid)."""
    available = {i.name for i in graph.input} | {i.name for i in graph.initializer} | {""}
    pending = list(graph.node)
    ordered: list[onnx.NodeProto] = []
    while pending:
        ready = [n for n in pending if all(i in available for i in n.input)]
        if not ready:
            raise ValueError("the graph has a cycle or an undefined input")
        for node in ready:
            available.update(node.output)
        ordered.extend(ready)
        ready_ids = {id(n) for n in ready}
        pending = [n for n in pending if id(n) not in ready_ids]
    del graph.node[:]
    graph.node.extend(ordered)
