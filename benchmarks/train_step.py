"""Training step time and images/s for each preset on this machine, against its matmul FLOP floor.

    python benchmarks/train_step.py [--presets cpu tiny ...] [--steps N] [--device cpu|cuda]
                                    [--precision fp32 [bf16 ...]] [--compile] [--nchw]
                                    [--out benchmarks/results/train_step.json]

For every preset and precision it times full training steps (jitter, warps, forward of the doubled batch,
losses, backward, Adam; channels_last as the trainer runs them, or NCHW with ``--nchw``) after warm-up,
counts the step's floating-point operations with torch's FlopCounterMode, and reports the achieved GFLOP/s
as a fraction of an fp32 and a bf16 matmul probe run in the same process (the practical ceilings of the
device for dense math).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from collections.abc import Callable
from pathlib import Path

import torch
from torch.utils.flop_counter import FlopCounterMode

from lmsdk.model import LandmarkAutoencoder
from lmsdk.trainer.presets import TRAIN_PRESETS
from lmsdk.trainer.sampler import step_generator
from lmsdk.trainer.step import training_step

DEFAULT_PRESETS = ["tiny", "cpu", "mnist-k7", "celeba-k10", "celeba-k30", "car-k10", "animal-k10", "human-k16"]


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


CPU = torch.device("cpu")


def matmul_gflops(device: torch.device = CPU, dtype: torch.dtype = torch.float32, repeats: int = 10) -> float:
    """Sustained GFLOP/s of a square matmul on ``device`` (median of ``repeats``; 2048 on CPUs, 8192 on GPUs)."""
    n = 8192 if device.type == "cuda" else 2048
    a, b = torch.randn(n, n, device=device, dtype=dtype), torch.randn(n, n, device=device, dtype=dtype)
    for _ in range(3):
        a @ b
    times = []
    for _ in range(repeats):
        _sync(device)
        t = time.perf_counter()
        a @ b
        _sync(device)
        times.append(time.perf_counter() - t)
    return 2 * n**3 / sorted(times)[len(times) // 2] / 1e9


def build_step(
    name: str, device: torch.device, precision: str, *, channels_last: bool | None = None, compile: bool = False
) -> tuple[Callable[[int], None], dict]:
    """One training step of preset ``name`` as the trainer runs it (forward, losses, backward, Adam) on a fixed
    batch of random crops; returns ``step(i)`` and a description of what it runs."""
    config = TRAIN_PRESETS[name].replace(device=device.type, precision=precision)
    if channels_last is not None:
        config = config.replace(channels_last=channels_last)
    torch.manual_seed(0)
    model = LandmarkAutoencoder(config.model).to(device)
    if config.channels_last:  # as the trainer does
        model = model.to(memory_format=torch.channels_last)
    forward = torch.compile(model) if compile else model
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-4)
    s = config.model.crop_size
    crops = torch.rand(config.batch_size, 3, s, s, device=device)

    def step(i: int) -> None:
        result = training_step(forward, model, crops, config, i, config.steps, step_generator(0, i))
        optimizer.zero_grad(set_to_none=True)
        result.loss.backward()
        optimizer.step()

    info = {
        "preset": name,
        "model": f"{s}->{config.model.padded_size}px K={config.model.num_landmarks}",
        "parameters_M": sum(p.numel() for p in model.parameters()) / 1e6,
        "batch": config.batch_size,
        "precision": precision,
        "channels_last": config.channels_last,
        "compile": compile,
    }
    return step, info


def bench_preset(
    name: str,
    steps: int,
    device: torch.device,
    precision: str,
    compile: bool = False,
    channels_last: bool | None = None,
) -> dict:
    step, info = build_step(name, device, precision, compile=compile, channels_last=channels_last)
    config = TRAIN_PRESETS[name]
    counter = FlopCounterMode(display=False)
    with counter:
        step(0)
    flops = counter.get_total_flops()
    warmup = 5 if device.type == "cuda" else 1 if config.model.crop_size >= 80 else 2
    warmup += 2 if compile else 0  # compiling the backward happens on the first backward
    for i in range(warmup):
        step(i + 1)
    times = []
    for i in range(steps):
        _sync(device)
        t = time.perf_counter()
        step(i + 10)
        _sync(device)
        times.append(time.perf_counter() - t)
    median = sorted(times)[len(times) // 2]
    return {
        **info,
        "seconds_per_step": median,
        "images_per_s": config.batch_size / median,
        "gflop_per_step": flops / 1e9,
        "achieved_gflops": flops / median / 1e9,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presets", nargs="*", default=DEFAULT_PRESETS)
    parser.add_argument("--steps", type=int, default=3, help="timed steps per preset (after warm-up)")
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    parser.add_argument(
        "--precision", nargs="+", default=["fp32"], choices=["fp32", "bf16", "fp16"], help="autocast(s) of the step"
    )
    parser.add_argument("--compile", action="store_true", help="torch.compile the model as the trainer can")
    parser.add_argument(
        "--nchw", action="store_true", help="run the networks NCHW (channels_last off), to time that lever"
    )
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/train_step.json"))
    args = parser.parse_args()
    device = torch.device(args.device)
    threads = torch.get_num_threads()
    floors = {name: matmul_gflops(device, dtype) for name, dtype in (("fp32", torch.float32), ("bf16", torch.bfloat16))}
    rows = []
    where = torch.cuda.get_device_name(device) if device.type == "cuda" else f"{threads} threads"
    print(
        f"torch {torch.__version__}, {where}; matmul probes: fp32 {floors['fp32']:.0f} GFLOP/s, "
        f"bf16 {floors['bf16']:.0f} GFLOP/s" + (", compiled" if args.compile else "")
    )
    print(
        f"{'preset':12} {'model':22} {'params':>7} {'batch':>5} {'prec':>5} {'s/step':>8} {'img/s':>7} "
        f"{'GFLOP/step':>10} {'GFLOP/s':>8} {'of fp32':>8} {'of bf16':>8}"
    )
    for name in args.presets:
        for precision in args.precision:
            row = bench_preset(name, args.steps, device, precision, args.compile, False if args.nchw else None)
            for probe, floor in floors.items():
                row[f"fraction_of_{probe}_floor"] = row["achieved_gflops"] / floor
            rows.append(row)
            print(
                f"{name:12} {row['model']:22} {row['parameters_M']:6.2f}M {row['batch']:5d} {precision:>5} "
                f"{row['seconds_per_step']:8.3f} {row['images_per_s']:7.1f} {row['gflop_per_step']:10.1f} "
                f"{row['achieved_gflops']:8.1f} {row['fraction_of_fp32_floor']:8.0%} "
                f"{row['fraction_of_bf16_floor']:8.0%}",
                flush=True,
            )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    machine = {
        "platform": platform.platform(),
        "processor": platform.processor(),
        "cpus": os.cpu_count(),
        "torch_threads": threads,
        "torch": torch.__version__,
        "device": where,
    }
    record = {"machine": machine, "compile": args.compile, "matmul_gflops": floors, "presets": rows}
    args.out.write_text(json.dumps(record, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
