"""Runtime latency per part and batch size: torch eager vs onnxruntime fp32 vs the fp16 graph, on this CPU.

    python benchmarks/runtime_latency.py [--presets paper-80 cpu] [--batches 1 8 64] [--out FILE.json]

For each model preset (untrained weights: latency depends on shapes, not values) it exports the three
graphs, times each backend (median of repeated runs after warm-up), counts the FLOPs of one image with
torch's FlopCounterMode and reports the achieved GFLOP/s against an fp32 matmul probe run in the same
process. It also measures the resident memory of a torch-free process that loads the detector
through ``lmsdk.runtime`` and runs it once.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from torch.utils.flop_counter import FlopCounterMode

from lmsdk.export.onnx_export import export_component, to_fp16
from lmsdk.export.wrappers import GRAPHS, example_inputs
from lmsdk.model import MODEL_PRESETS, LandmarkAutoencoder
from lmsdk.runtime.backends import OrtBackend

sys.path.insert(0, str(Path(__file__).resolve().parent))
from train_step import matmul_gflops

from lmsdk.rundir import RunDir

PARTS = ("detector", "encoder", "decoder")


def median_ms(fn, repeats: int) -> float:
    fn()
    fn()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return 1000 * sorted(times)[len(times) // 2]


def runtime_rss_mb(artifact: Path) -> float:
    """Peak resident memory (VmHWM: ru_maxrss would include the forking parent's) of a torch-free process that
    loads the detector and runs it once."""
    code = (
        "import sys, numpy as np\n"
        "from lmsdk.runtime import Detector\n"
        f"d = Detector({str(artifact)!r})\n"
        "d(np.zeros((480, 640, 3), np.uint8))\n"
        "assert 'torch' not in sys.modules\n"
        "peak = [line for line in open('/proc/self/status') if line.startswith('VmHWM')][0]\n"
        "print(int(peak.split()[1]) / 1024)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip())


def bench_preset(name: str, batches: list[int], repeats: int, floor: float) -> list[dict]:
    from lmsdk.export import export_run
    from lmsdk.model import save_model

    torch.manual_seed(0)
    model = LandmarkAutoencoder(MODEL_PRESETS[name]).eval()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for part in PARTS:
            graph = GRAPHS[part](model).eval()
            fp32 = export_component(model, part, tmp / f"{part}.onnx")
            fp16 = to_fp16(fp32, tmp / f"{part}.fp16.onnx")
            ort32, ort16 = OrtBackend(fp32), OrtBackend(fp16)
            counter = FlopCounterMode(display=False)
            with counter, torch.no_grad():
                graph(*example_inputs(model, part, 1))
            flops = counter.get_total_flops()
            for batch in batches:
                inputs = example_inputs(model, part, batch, torch.Generator().manual_seed(batch))
                feed = dict(zip(ort32.input_names, (x.numpy() for x in inputs), strict=True))
                with torch.no_grad():
                    t_torch = median_ms(lambda g=graph, x=inputs: g(*x), repeats)
                t32 = median_ms(lambda b=ort32, f=feed: b.run(f), repeats)
                t16 = median_ms(lambda b=ort16, f=feed: b.run(f), repeats)
                rows.append(
                    {
                        "preset": name,
                        "part": part,
                        "batch": batch,
                        "torch_ms": t_torch,
                        "ort_fp32_ms": t32,
                        "ort_fp16_ms": t16,
                        "images_per_s": 1000 * batch / t32,
                        "gflop_per_image": flops / 1e9,
                        "ort_fp32_gflops": flops * batch / (t32 / 1000) / 1e9,
                        "fraction_of_matmul_floor": flops * batch / (t32 / 1000) / 1e9 / floor,
                        "ort_speedup_vs_torch": t_torch / t32,
                    }
                )
                r = rows[-1]
                print(
                    f"{name:9} {part:9} {batch:4d} {t_torch:9.2f} {t32:9.2f} {t16:9.2f} "
                    f"{r['images_per_s']:8.1f} {r['ort_fp32_gflops']:8.1f} {r['fraction_of_matmul_floor']:6.0%} "
                    f"{r['ort_speedup_vs_torch']:6.2f}x",
                    flush=True,
                )
        run = tmp / "run"
        save_model(model, RunDir(run).model)
        export_run(run, tmp / "artifact")
        rss = runtime_rss_mb(tmp / "artifact")
        print(f"{name}: runtime process (detector loaded and run once, no torch) peak RSS {rss:.0f} MB")
        for r in rows:
            r["runtime_rss_mb"] = rss
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presets", nargs="*", default=["paper-80", "cpu"])
    parser.add_argument("--batches", nargs="*", type=int, default=[1, 8, 64])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/runtime_latency.json"))
    args = parser.parse_args()
    floor = matmul_gflops()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; fp32 matmul probe {floor:.0f} GFLOP/s")
    print(
        f"{'preset':9} {'part':9} {'batch':>4} {'torch ms':>9} {'ort ms':>9} {'fp16 ms':>9} {'img/s':>8} "
        f"{'GFLOP/s':>8} {'floor':>6} {'vs torch':>7}"
    )
    rows = []
    for name in args.presets:
        rows += bench_preset(name, args.batches, args.repeats, floor)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {
                "machine": {"platform": platform.platform(), "cpus": os.cpu_count(), "torch": torch.__version__},
                "matmul_fp32_gflops": floor,
                "rows": rows,
            },
            indent=2,
        )
        + "\n"
    )
    print(f"wrote {args.out}")


if __name__ == "__main__":
    np.set_printoptions(precision=3)
    main()
