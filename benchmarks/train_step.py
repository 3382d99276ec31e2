"""Training step time and images/s for each preset on this machine, against its matmul FLOP floor.

    python benchmarks/train_step.py [--presets cpu tiny ...] [--steps N] [--out benchmarks/results/train_step.json]

For every preset it times full training steps (jitter, warps, forward of the doubled batch, losses,
backward, Adam; channels_last as the trainer runs them) after warm-up, counts the step's floating-point
operations with torch's FlopCounterMode, and reports the achieved GFLOP/s as a fraction of an fp32
matmul probe run in the same process (the practical ceiling of this CPU for dense math).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import torch
from torch.utils.flop_counter import FlopCounterMode

from lmsdk.model import LandmarkAutoencoder
from lmsdk.trainer.presets import TRAIN_PRESETS
from lmsdk.trainer.sampler import step_generator
from lmsdk.trainer.step import training_step

DEFAULT_PRESETS = ["tiny", "cpu", "mnist-k7", "celeba-k10", "celeba-k30", "car-k10", "animal-k10", "human-k16"]


def matmul_gflops(n: int = 2048, repeats: int = 10) -> float:
    """Sustained fp32 GFLOP/s of an n x n matmul (median of ``repeats``)."""
    a, b = torch.randn(n, n), torch.randn(n, n)
    for _ in range(3):
        a @ b
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        a @ b
        times.append(time.perf_counter() - t)
    return 2 * n**3 / sorted(times)[len(times) // 2] / 1e9


def bench_preset(name: str, steps: int) -> dict:
    config = TRAIN_PRESETS[name]
    torch.manual_seed(0)
    model = LandmarkAutoencoder(config.model)
    if config.channels_last:  # as the trainer does
        model = model.to(memory_format=torch.channels_last)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-4)
    s = config.model.crop_size
    crops = torch.rand(config.batch_size, 3, s, s)

    def step(i: int) -> None:
        result = training_step(model, model, crops, config, i, config.steps, step_generator(0, i))
        optimizer.zero_grad(set_to_none=True)
        result.loss.backward()
        optimizer.step()

    counter = FlopCounterMode(display=False)
    with counter:
        step(0)
    flops = counter.get_total_flops()
    warmup = 1 if config.model.crop_size >= 80 else 2
    for i in range(warmup):
        step(i + 1)
    times = []
    for i in range(steps):
        t = time.perf_counter()
        step(i + 10)
        times.append(time.perf_counter() - t)
    median = sorted(times)[len(times) // 2]
    return {
        "preset": name,
        "model": f"{s}->{config.model.padded_size}px K={config.model.num_landmarks}",
        "parameters_M": sum(p.numel() for p in model.parameters()) / 1e6,
        "batch": config.batch_size,
        "seconds_per_step": median,
        "images_per_s": config.batch_size / median,
        "gflop_per_step": flops / 1e9,
        "achieved_gflops": flops / median / 1e9,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presets", nargs="*", default=DEFAULT_PRESETS)
    parser.add_argument("--steps", type=int, default=3, help="timed steps per preset (after warm-up)")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/train_step.json"))
    args = parser.parse_args()
    threads = torch.get_num_threads()
    floor = matmul_gflops()
    rows = []
    print(f"torch {torch.__version__}, {threads} threads, fp32 matmul probe: {floor:.0f} GFLOP/s")
    print(
        f"{'preset':12} {'model':22} {'params':>7} {'batch':>5} {'s/step':>8} {'img/s':>7} "
        f"{'GFLOP/step':>10} {'GFLOP/s':>8} {'of floor':>8}"
    )
    for name in args.presets:
        row = bench_preset(name, args.steps)
        row["fraction_of_matmul_floor"] = row["achieved_gflops"] / floor
        rows.append(row)
        print(
            f"{name:12} {row['model']:22} {row['parameters_M']:6.2f}M {row['batch']:5d} "
            f"{row['seconds_per_step']:8.3f} {row['images_per_s']:7.1f} {row['gflop_per_step']:10.1f} "
            f"{row['achieved_gflops']:8.1f} {row['fraction_of_matmul_floor']:8.0%}",
            flush=True,
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {
                "machine": {
                    "platform": platform.platform(),
                    "processor": platform.processor(),
                    "cpus": os.cpu_count(),
                    "torch_threads": threads,
                    "torch": torch.__version__,
                },
                "matmul_fp32_gflops": floor,
                "presets": rows,
            },
            indent=2,
        )
        + "\n"
    )
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
