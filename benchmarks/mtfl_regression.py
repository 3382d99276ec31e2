"""The paper's regression protocol on the real MTFL faces: fit on 8,000 labels, test on the other 2,000.

    python benchmarks/mtfl_regression.py RUN_OR_ARTIFACT [--data ../shared/data/mtfl/train.txt] [--out DIR]

The same as ``lmsdk eval RUN --fit LIST --test LIST --fit-count 8000 --few-shot --out DIR``: the images are
split at random (seed 0), the bias-free regressor is fitted on 8,000, and the mean error over the
inter-ocular distance is reported on the other 2,000 with the mean-shape baseline, the few-shot curve
(10 to 8,000 labels) and a Figure-9 style plot. Skips (exit 0, a message) when the data is absent.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from lmsdk.rundir import RunDir

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "mtfl" / "train.txt"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", type=Path)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--fit", type=int, default=8000)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/mtfl"))
    args = parser.parse_args()
    if not args.data.is_file():
        print(f"skipped: {args.data} not found (the MTFL dev data is not part of lmsdk)")
        return
    from lmsdk.eval.evaluate import evaluate

    evaluation = evaluate(
        args.model, str(args.data), str(args.data), fit_count=args.fit, few_shot=True, out_dir=args.out
    )
    r = evaluation.result
    print(f"protocol {r.protocol}: fit {r.n_fit} / test {r.n_test} MTFL images")
    print(f"  discovered landmarks -> 5 points: {100 * r.mean_error:.2f} % of the inter-ocular distance")
    print(f"  mean-shape baseline:              {100 * r.baseline_error:.2f} %")
    names = ("left eye", "right eye", "nose", "left mouth", "right mouth")
    print("  per point: " + ", ".join(f"{n} {100 * e:.2f}" for n, e in zip(names, r.per_landmark, strict=True)))
    ridge = evaluation.few_shot_other.get("ridge", [])
    print(f"  few-shot (mean +- std over draws): {'labels':>6} {'lstsq (paper)':>16} {'ridge (export --labels)':>24}")
    for i, p in enumerate(evaluation.few_shot):
        other = f"{100 * ridge[i].mean:.2f} +- {100 * ridge[i].std:.2f} %" if i < len(ridge) else ""
        print(f"{'':37}{p.labels:6d} {100 * p.mean:9.2f} +- {100 * p.std:.2f} % {other:>20} ({p.draws} draws)")
    final = RunDir(args.model).final_metrics
    if final.is_file():
        train = json.loads(final.read_text())
        print(f"  trained {train['steps']} steps in {train['time'] / 60:.1f} min")
    print("wrote " + ", ".join(str(p) for p in evaluation.outputs))


if __name__ == "__main__":
    main()
