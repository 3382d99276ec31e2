"""Where a training step's time goes: torch.profiler over a few steps of a preset, grouped by kind of op.

    python benchmarks/profile_step.py [--preset cpu] [--steps 2] [--precision fp32|bf16] [--no-channels-last]
                                      [--compile] [--top 25] [--out benchmarks/results/profile_cpu.json]

The steps are the trainer's own (:func:`lmsdk.trainer.step.training_step` with its options, backward and
Adam) after warm-up. The table lists the operators with the most self CPU time, then the same time grouped
into kinds (convolution, BatchNorm, copies, activations, sampling, ...), as shares of the profiled total.
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path

import torch
from torch.profiler import ProfilerActivity, profile

from benchmarks.train_step import build_step

# Operator name fragments -> the kind they are reported under (first match wins).
KINDS = (
    ("convolution", ("conv", "mkldnn_convolution")),
    ("batch norm", ("batch_norm",)),
    ("copy / layout", ("copy_", "contiguous", "to_copy", "clone", "_to_copy")),
    ("activation", ("leaky_relu", "sigmoid", "softmax", "relu")),
    ("sampling / pooling", ("grid_sampler", "max_pool", "upsample", "interpolate", "pad")),
    ("matmul / einsum", ("mm", "bmm", "matmul", "einsum", "linalg")),
    ("optimizer", ("adam", "_foreach", "lerp", "addcdiv", "addcmul")),
    ("elementwise / reduction", ("add", "mul", "sub", "div", "exp", "log", "sum", "mean", "pow", "sqrt", "where")),
)


def kind_of(name: str) -> str:
    lowered = name.lower()
    for kind, fragments in KINDS:
        if any(f in lowered for f in fragments):
            return kind
    return "other"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="cpu")
    parser.add_argument("--steps", type=int, default=2, help="profiled steps (after warm-up)")
    parser.add_argument("--precision", default="fp32", choices=["fp32", "bf16"])
    parser.add_argument("--no-channels-last", action="store_true", help="NCHW convolutions instead of NHWC")
    parser.add_argument("--compile", action="store_true", help="torch.compile the model as the trainer can")
    parser.add_argument("--top", type=int, default=25, help="operators listed")
    parser.add_argument("--out", type=Path, default=None, help="JSON file for the table (default: print only)")
    args = parser.parse_args()

    step, info = build_step(
        args.preset, torch.device("cpu"), args.precision, channels_last=not args.no_channels_last, compile=args.compile
    )
    for i in range(3):
        step(i)
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        for i in range(args.steps):
            step(10 + i)
    events = [e for e in prof.key_averages() if e.self_cpu_time_total > 0]
    total = sum(e.self_cpu_time_total for e in events)
    events.sort(key=lambda e: e.self_cpu_time_total, reverse=True)
    per_step_ms = total / 1e3 / args.steps
    print(
        f"{args.preset} preset, {args.precision}, channels_last={not args.no_channels_last}, compile={args.compile}: "
        f"{per_step_ms:.0f} ms of self CPU time per step ({torch.get_num_threads()} threads)"
    )
    print(f"{'operator':44} {'calls/step':>10} {'ms/step':>9} {'share':>7}")
    rows = []
    for e in events[: args.top]:
        share = e.self_cpu_time_total / total
        ms = e.self_cpu_time_total / 1e3 / args.steps
        print(f"{e.key[:44]:44} {e.count / args.steps:10.0f} {ms:9.1f} {share:7.1%}")
        rows.append({"operator": e.key, "calls_per_step": e.count / args.steps, "ms_per_step": ms, "share": share})
    kinds: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for e in events:
        k = kinds[kind_of(e.key)]
        k[0] += e.self_cpu_time_total
        k[1] += e.count / args.steps
    print(f"\n{'kind':28} {'calls/step':>10} {'ms/step':>9} {'share':>7}")
    grouped = []
    for name, (time_us, calls) in sorted(kinds.items(), key=lambda kv: -kv[1][0]):
        ms = time_us / 1e3 / args.steps
        print(f"{name:28} {calls:10.0f} {ms:9.1f} {time_us / total:7.1%}")
        grouped.append({"kind": name, "calls_per_step": calls, "ms_per_step": ms, "share": time_us / total})
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        record = {**info, "self_cpu_ms_per_step": per_step_ms, "operators": rows, "kinds": grouped}
        args.out.write_text(json.dumps(record, indent=2) + "\n")
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
