"""Plot a run's learning curve: regression-probe error against steps and wall time, and the loss terms.

python benchmarks/plot_run.py RUN_DIR --out curve.png [--title TEXT]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import matplotlib

from lmsdk.rundir import RunDir

matplotlib.use("Agg")
import matplotlib.pyplot as plt


def load_metrics(run_dir: Path) -> list[dict]:
    return [json.loads(line) for line in RunDir(run_dir).metrics.read_text().splitlines() if line.strip()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--title", default=None)
    args = parser.parse_args()
    rows = load_metrics(args.run_dir)
    probe = [r for r in rows if "probe/error" in r]
    losses = [r for r in rows if "loss" in r]
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
    if probe:
        steps = [r["step"] for r in probe]
        minutes = [r["time"] / 60 for r in probe]
        err = [100 * r["probe/error"] for r in probe]
        base = [100 * r["probe/baseline"] for r in probe]
        for ax, x, label in ((axes[0], steps, "step"), (axes[1], minutes, "wall time (min, 2-core CPU)")):
            ax.plot(x, err, "o-", label="discovered landmarks -> annotated (zhang2018 protocol)")
            ax.plot(x, base, "--", color="gray", label="mean-shape baseline")
            ax.set_xlabel(label)
            ax.set_ylabel("error, % of inter-ocular distance")
            ax.set_ylim(0, max(base + err) * 1.1)
            ax.grid(alpha=0.3)
        axes[0].legend(fontsize=8)
    for key in ("concentration", "separation", "equivariance", "reconstruction"):
        axes[2].plot([r["step"] for r in losses], [r[f"loss/{key}"] for r in losses], label=key)
    axes[2].set_yscale("log")
    axes[2].set_xlabel("step")
    axes[2].set_title("loss terms (unweighted)")
    axes[2].legend(fontsize=8)
    axes[2].grid(alpha=0.3)
    fig.suptitle(args.title or str(args.run_dir))
    fig.tight_layout()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.out, dpi=110)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
