"""onnxruntime session settings for the per-frame detector call: which threads, optimisation level, memory arena,
thread spinning and I/O binding give the lowest latency for one crop.

    python benchmarks/ort_settings.py ARTIFACT[:PRECISION] ... [--calls 2000] [--out FILE.json]

For the graph that tracks (a distilled artifact's tracker, else its detector) it times one-crop calls (median
and 99th percentile, microseconds, after warm-up) under each setting, changed one at a time from onnxruntime's
defaults, then the best combination. The winner is what
:class:`lmsdk.runtime.backends.OrtBackend` uses (docs/lite.md has the table).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort

from lmsdk.runtime.artifact import Artifact

LEVELS = {
    "basic": ort.GraphOptimizationLevel.ORT_ENABLE_BASIC,
    "extended": ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
    "all": ort.GraphOptimizationLevel.ORT_ENABLE_ALL,
}


def session(path: Path, threads: int, level: str, arena: bool, spinning: bool) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.graph_optimization_level = LEVELS[level]
    options.enable_cpu_mem_arena = arena
    options.add_session_config_entry("session.intra_op.allow_spinning", "1" if spinning else "0")
    options.log_severity_level = 3
    return ort.InferenceSession(str(path), sess_options=options, providers=["CPUExecutionProvider"])


def time_calls(sess: ort.InferenceSession, side: int, calls: int, binding: bool) -> tuple[float, float]:
    """Median and 99th-percentile microseconds of one-crop calls."""
    image = np.random.default_rng(0).random((1, 3, side, side), dtype=np.float32)
    names = [o.name for o in sess.get_outputs()]
    if binding:
        bound = sess.io_binding()
        bound.bind_cpu_input("image", image)
        outputs = [np.empty_like(o) for o in sess.run(names, {"image": image})]  # kept alive while bound
        for name, array in zip(names, outputs, strict=True):
            bound.bind_output(name, "cpu", 0, np.float32, list(array.shape), array.ctypes.data)

        def call() -> None:
            sess.run_with_iobinding(bound)
    else:

        def call() -> None:
            sess.run(names, {"image": image})

    for _ in range(200):
        call()
    times = np.empty(calls)
    for i in range(calls):
        t = time.perf_counter()
        call()
        times[i] = time.perf_counter() - t
    return float(np.median(times) * 1e6), float(np.percentile(times, 99) * 1e6)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("artifacts", nargs="+", help="ARTIFACT[:fp32|int8]")
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/ort_settings.json"))
    args = parser.parse_args()
    default = {"threads": 0, "level": "all", "arena": True, "spinning": True, "binding": False}
    variants = [
        ("defaults", {}),
        ("1 thread", {"threads": 1}),
        ("2 threads", {"threads": 2}),
        ("level basic", {"level": "basic"}),
        ("level extended", {"level": "extended"}),
        ("no memory arena", {"arena": False}),
        ("no spinning", {"spinning": False}),
        ("I/O binding", {"binding": True}),
        ("1 thread + binding", {"threads": 1, "binding": True}),
        ("1 thread + binding, no spinning", {"threads": 1, "binding": True, "spinning": False}),
    ]
    report = []
    print(f"onnxruntime {ort.__version__}; one crop per call, {args.calls} calls")
    print(f"{'graph':34} {'setting':34} {'median us':>10} {'p99 us':>8}")
    for spec in args.artifacts:
        folder, _, precision = spec.partition(":")
        artifact = Artifact(folder)
        graph = "tracker" if artifact.has_tracker else "detector"  # the graph that tracks
        path = artifact.model_path(graph, precision=precision or "fp32", backend="onnxruntime")
        side = artifact.manifest.input.crop_size
        for name, change in variants:
            s = default | change
            sess = session(path, s["threads"], s["level"], s["arena"], s["spinning"])
            median, p99 = time_calls(sess, side, args.calls, s["binding"])
            label = f"{Path(folder).name}:{precision or 'fp32'}"
            report.append({"graph": label, "setting": name, **s, "median_us": median, "p99_us": p99})
            print(f"{label:34} {name:34} {median:10.1f} {p99:8.1f}", flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
