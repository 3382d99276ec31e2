"""bf16 inference on this CPU: where it can run, what it costs in accuracy and what it buys in time.

    python benchmarks/bf16_inference.py NAME=RUN_DIR ... [--batches 1 64] [--repeats 50] [--out FILE.json]

e.g. ``teacher=runs/mtfl lite=runs/mtfl-lite``. Three questions, answered in one process:

- **Can the runtime run bf16?** lmsdk's torch-free runtime is onnxruntime; for each operator the detectors
  use, a one-node bf16 graph is offered to its CPU provider and the answer recorded (a session, or the error).
- **What does bf16 cost in accuracy?** The run's detector in torch, fp32 vs bf16 (``torch.autocast`` on the CPU),
  on the run's own training crops: landmark distance in crop pixels (mean, 99th percentile, max), the same
  measure as the int8 parity gate (:mod:`lmsdk.export.quantize`).
- **What does it buy?** Median milliseconds per call at each batch size: torch fp32 and bf16 (each also
  channels_last), next to onnxruntime's fp32 graph and the int8 graph ``lmsdk export --int8`` would write
  (quantized here on the same crops), with fp32 and bf16 matmul probes run in the same process.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import sys
import tempfile
from pathlib import Path

import numpy as np
import onnxruntime as ort
import torch
from onnx import TensorProto, helper

from lmsdk.export.export import _training_crops
from lmsdk.export.onnx_export import export_component
from lmsdk.export.quantize import calibration_split, quantize_detector
from lmsdk.export.wrappers import GRAPHS
from lmsdk.model.checkpoint import load_model
from lmsdk.runtime.backends import OrtBackend

sys.path.insert(0, str(Path(__file__).resolve().parent))
from runtime_latency import median_ms
from train_step import matmul_gflops

from lmsdk.rundir import RunDir

# operator -> (input shape, initializer shapes, attributes): the operators of lmsdk's detector graphs
PROBE_OPS: dict[str, tuple[list[int], list[list[int]], dict]] = {
    "Conv": ([1, 8, 16, 16], [[8, 8, 3, 3]], {"pads": [1, 1, 1, 1]}),
    "MatMul": ([16, 16], [[16, 16]], {}),
    "Add": ([1, 8], [[1, 8]], {}),
    "Relu": ([1, 8], [], {}),
    "Softmax": ([1, 8], [], {}),
}


COLUMNS = ("torch_fp32", "torch_bf16", "torch_fp32_cl", "torch_bf16_cl", "ort_fp32", "ort_int8")


def ort_bf16_support() -> dict[str, str]:
    """For each operator of :data:`PROBE_OPS`: ``"ok"`` when onnxruntime's CPU provider builds a session for a
    one-node bf16 graph of it, else the first line of its error."""
    answers = {}
    for op, (shape, weights, attributes) in PROBE_OPS.items():
        names = [f"w{i}" for i in range(len(weights))]
        initializers = [
            helper.make_tensor(n, TensorProto.BFLOAT16, s, [0] * int(np.prod(s)))
            for n, s in zip(names, weights, strict=True)
        ]
        graph = helper.make_graph(
            [helper.make_node(op, ["x", *names], ["y"], **attributes)],
            "probe",
            [helper.make_tensor_value_info("x", TensorProto.BFLOAT16, shape)],
            [helper.make_tensor_value_info("y", TensorProto.BFLOAT16, None)],
            initializers,
        )
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 22)])
        try:
            ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
            answers[op] = "ok"
        except Exception as exc:  # the answer is the error itself, whatever its type
            answers[op] = str(exc).splitlines()[0]
    return answers


def distance_px(a: np.ndarray, b: np.ndarray, side: int) -> dict[str, float]:
    """Landmark distance between two ``(n, K, 2)`` normalised predictions, in crop pixels."""
    d = np.linalg.norm((a - b) * side, axis=-1)
    return {"mean_px": float(d.mean()), "p99_px": float(np.percentile(d, 99)), "max_px": float(d.max())}


def bench_run(name: str, run_dir: Path, batches: list[int], repeats: int, folder: Path, threads: int | None) -> dict:
    model = load_model(RunDir(run_dir).model).eval()
    side = model.config.crop_size
    graph = GRAPHS["detector"](model).eval()
    crops = _training_crops(run_dir, side)
    calibration, held_out = calibration_split(crops)  # (n, 3, S, S) float in [0, 1]
    held = torch.from_numpy(np.ascontiguousarray(held_out))

    def landmarks(module: torch.nn.Module, x: torch.Tensor, bf16: bool) -> np.ndarray:
        with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            return module(x)[0].float().numpy()

    accuracy = distance_px(landmarks(graph, held, False), landmarks(graph, held, True), side)
    fp32_path = export_component(model, "detector", folder / f"{name}.onnx")
    int8_path = quantize_detector(fp32_path, folder / f"{name}.int8.onnx", calibration)
    backends = {"ort_fp32": OrtBackend(fp32_path, threads=threads), "ort_int8": OrtBackend(int8_path, threads=threads)}
    fp32_points, int8_points = (
        np.concatenate([b.run({"image": held_out[i : i + 64]})["landmarks"] for i in range(0, len(held_out), 64)])
        for b in backends.values()
    )
    rows = []
    graph_cl = GRAPHS["detector"](load_model(RunDir(run_dir).model).eval()).eval().to(memory_format=torch.channels_last)
    for batch in batches:
        x = held[:batch].contiguous()
        x_cl = x.contiguous(memory_format=torch.channels_last)
        row = {"model": name, "batch": batch}
        for label, module, inp, bf16 in (
            ("torch_fp32", graph, x, False),
            ("torch_bf16", graph, x, True),
            ("torch_fp32_cl", graph_cl, x_cl, False),
            ("torch_bf16_cl", graph_cl, x_cl, True),
        ):
            row[label] = median_ms(lambda m=module, i=inp, b=bf16: landmarks(m, i, b), repeats)
        feed = {"image": held_out[:batch]}
        for label, backend in backends.items():
            row[label] = median_ms(lambda b=backend, f=feed: b.run(f), repeats)
        rows.append(row)
        print(f"{name:10} {batch:5d} " + " ".join(f"{row[k]:9.2f}" for k in COLUMNS), flush=True)
    for backend in backends.values():
        backend.close()
    result = {
        "model": name,
        "run": str(run_dir),
        "crop_size": side,
        "crops": len(held_out),
        "bf16_vs_fp32": accuracy,
        "int8_vs_fp32": distance_px(fp32_points, int8_points, side),
        "rows": rows,
    }
    print(
        f"{name}: on {len(held_out)} held-out training crops, torch bf16 vs fp32 mean {accuracy['mean_px']:.3f} px, "
        f"p99 {accuracy['p99_px']:.3f}, max {accuracy['max_px']:.3f}; ort int8 vs fp32 mean "
        f"{result['int8_vs_fp32']['mean_px']:.3f} px, p99 {result['int8_vs_fp32']['p99_px']:.3f}"
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", metavar="NAME=RUN_DIR", help="trained runs (teacher or distilled)")
    parser.add_argument("--batches", nargs="*", type=int, default=[1, 64])
    parser.add_argument("--repeats", type=int, default=50)
    parser.add_argument("--threads", type=int, default=None, help="torch and onnxruntime threads (default: all cores)")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/bf16_inference.json"))
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    if args.threads:
        torch.set_num_threads(args.threads)
    runs = []
    for spec in args.runs:
        name, sep, path = spec.partition("=")
        if not sep or not RunDir.of(path).finished():
            parser.error(f"{spec}: expected NAME=RUN_DIR with a trained run (RUN_DIR/model)")
        runs.append((name, Path(path)))

    support = ort_bf16_support()
    print(f"onnxruntime {ort.__version__} CPU provider, bf16 graphs:")
    for op, answer in support.items():
        print(f"  {op:8} {answer}")
    floors = {"fp32": matmul_gflops(), "bf16": matmul_gflops(dtype=torch.bfloat16)}
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} threads; matmul probe fp32 {floors['fp32']:.0f}, "
        f"bf16 {floors['bf16']:.0f} GFLOP/s ({floors['bf16'] / floors['fp32']:.2f}x)"
    )
    print(f"{'model':10} {'batch':>5} " + " ".join(f"{c.replace('torch_', 't'):>9}" for c in COLUMNS) + "  (ms)")
    with tempfile.TemporaryDirectory() as tmp:
        results = [bench_run(name, path, args.batches, args.repeats, Path(tmp), args.threads) for name, path in runs]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {
                "machine": {"platform": platform.platform(), "cpus": os.cpu_count(), "torch": torch.__version__},
                "onnxruntime": ort.__version__,
                "ort_cpu_bf16": support,
                "matmul_gflops": floors,
                "runs": results,
            },
            indent=2,
        )
        + "\n"
    )
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
