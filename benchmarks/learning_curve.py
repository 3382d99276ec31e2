"""A learning curve on the built-in synthetic faces: the regression error against steps and wall time.

    python benchmarks/learning_curve.py [--preset cpu] [--minutes 30] [--probe-every 100] [--out runs/curve]

Trains the preset on the synthetic faces to a time budget, measuring every ``--probe-every`` steps the
paper's regression error on 600 held-out synthetic faces (fit on 400, test on 200) and the mean-shape
baseline, then plots the curve (``curve.png`` in the run directory) with benchmarks/plot_run.py.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from lmsdk.rundir import RunDir


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="cpu")
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--probe-every", type=int, default=100)
    parser.add_argument("--out", type=Path, default=Path("runs/curve"))
    args = parser.parse_args()
    from lmsdk.trainer import train
    from lmsdk.trainer.presets import get_preset

    config = get_preset(args.preset).replace(
        max_minutes=args.minutes,
        eval_every=args.probe_every,
        eval_images=600,
        sample_every=args.probe_every * 5,
        progress=False,
    )
    result = train(config, args.out)
    rows = [json.loads(line) for line in RunDir(args.out).metrics.read_text().splitlines()]
    print(f"{'step':>6} {'minutes':>8} {'error %':>8} {'baseline %':>11}")
    for r in rows:
        if "probe/error" in r:
            error, baseline = 100 * r["probe/error"], 100 * r["probe/baseline"]
            print(f"{r['step']:6d} {r['time'] / 60:8.1f} {error:8.2f} {baseline:11.2f}")
    plot = Path(__file__).with_name("plot_run.py")
    subprocess.run(
        [
            sys.executable,
            str(plot),
            str(args.out),
            "--out",
            str(args.out / "curve.png"),
            "--title",
            f"{args.preset} preset on synthetic faces, {result.steps} steps",
        ],
        check=True,
    )


if __name__ == "__main__":
    main()
