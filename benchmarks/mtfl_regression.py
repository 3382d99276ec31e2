"""The paper's regression protocol on the real MTFL faces: fit on 8,000 labels, test on the other 2,000.

    python benchmarks/mtfl_regression.py RUN_DIR [--data ../shared/data/mtfl/train.txt] [--out FILE.json]

Runs the trained model of RUN_DIR/model over every image of the list (framed as in training), splits
the images with a fixed seed, fits the bias-free linear regressor from the discovered landmarks to the
five annotated points on the fit split and reports the mean error over the inter-ocular distance on the
test split, with the mean-shape baseline. Skips (exit 0, a message) when the data is absent.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "mtfl" / "train.txt"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--fit", type=int, default=8000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    if not args.data.is_file():
        print(f"skipped: {args.data} not found (the MTFL dev data is not part of lmsdk)")
        return

    from lmsdk.data.mtfl import MtflList
    from lmsdk.eval.predict import predict_landmarks
    from lmsdk.eval.regression import PROTOCOL, evaluate_regression
    from lmsdk.model import load_model

    model = load_model(args.run_dir / "model")
    source = MtflList(args.data, model.config.crop_size)
    t = time.perf_counter()
    discovered = predict_landmarks(model, source)
    annotated = source.all_keypoints()
    order = np.random.default_rng(args.seed).permutation(len(source))
    fit, test = order[: args.fit], order[args.fit :]
    result = evaluate_regression(
        discovered[fit], annotated[fit], discovered[test], annotated[test], source.normalizer_indices
    )
    final = (
        json.loads((args.run_dir / "final_metrics.json").read_text())
        if (args.run_dir / "final_metrics.json").is_file()
        else {}
    )
    report = {
        "run": str(args.run_dir),
        "data": str(args.data),
        **result.as_dict(),
        "per_landmark_names": list(source.keypoint_names),
        "train_steps": final.get("steps"),
        "train_minutes": round(final.get("time", 0) / 60, 1),
        "predict_seconds": round(time.perf_counter() - t, 1),
    }
    print(f"protocol {PROTOCOL}: fit {result.n_fit} / test {result.n_test} images")
    print(f"  discovered landmarks -> 5 points: {100 * result.mean_error:.2f} % of inter-ocular distance")
    print(f"  mean-shape baseline:              {100 * result.baseline_error:.2f} %")
    print(
        "  per point: "
        + ", ".join(f"{n} {100 * e:.2f}" for n, e in zip(source.keypoint_names, result.per_landmark, strict=True))
    )
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=2) + "\n")
        print(f"wrote {args.out}")


if __name__ == "__main__":
    sys.exit(main())
