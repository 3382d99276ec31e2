"""Fine-tuning on a new domain: does it beat training from scratch, and does landmark k stay landmark k?

    python benchmarks/finetune.py --base RUN --finetuned [NAME=]RUN [--finetuned ...] --scratch RUN
                                  [--data ../shared/data/mtfl/train.txt] [--domain lfw_5590]
                                  [--out docs/results/finetune.json]

MTFL's two halves serve as two domains (``lfw_5590``: whole LFW photos with small faces; ``net_7876``: web face
crops). The base model trained on one; ``--finetuned`` started from it (``lmsdk train --init``; repeat it, each
``NAME=RUN``, to compare fine-tuning settings such as ``--keep-landmarks``) and ``--scratch`` from random weights,
all on the other half's fit part for the same budget. For each model:

- **error**: the paper's protocol on the new domain, regressor fitted on its fit part (``DATA#DOMAIN-fit``) and
  tested on its held-out part (``DATA#DOMAIN-test``), which no model trained on;
- **identity** (fine-tuned and scratch against the base): the median over the new domain's held-out images of the
  distance between the base model's landmark k and the other model's landmark k, in % of the crop side, per
  landmark and over all. The scale: the base against itself scores 0; against itself with its landmarks
  renumbered (k -> k + 1) it scores what a relabelling would; a model trained from scratch numbers its
  landmarks at random.

Skips (exit 0, a message) when the data is absent.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "mtfl" / "train.txt"


def identity_drift(base: np.ndarray, other: np.ndarray) -> tuple[float, np.ndarray]:
    """``(median over all, (K,) median per landmark)`` of the distance between landmark k of ``base`` and of
    ``other`` (``(N, K, 2)`` normalised crop coordinates), in % of the crop side."""
    distance = 100 * np.linalg.norm(base - other, axis=-1)
    return float(np.median(distance)), np.median(distance, axis=0)


def _named(entry: str) -> tuple[str, Path]:
    """``NAME=RUN`` as ``(NAME, RUN)`` (split at the first ``=``); a bare ``RUN`` is named ``fine-tuned``."""
    name, sep, path = entry.partition("=")
    return (name, Path(path)) if sep else ("fine-tuned", Path(entry))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", type=Path, required=True, help="the model of the other domain (run or artifact)")
    parser.add_argument(
        "--finetuned",
        action="append",
        required=True,
        help="the base fine-tuned on the new domain, as RUN or NAME=RUN (repeatable)",
    )
    parser.add_argument("--scratch", type=Path, required=True, help="trained from scratch on the new domain")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the MTFL list")
    parser.add_argument("--domain", default="lfw_5590", help="the new domain: an MTFL sub-folder")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/finetune.json"))
    args = parser.parse_args()
    if not args.data.is_file():
        print(f"skipped: {args.data} not found (the MTFL dev data is not part of lmsdk)")
        return
    from lmsdk.data.sources import open_labelled
    from lmsdk.eval.evaluate import LandmarkModel, evaluate

    fit, test = f"{args.data}#{args.domain}-fit", f"{args.data}#{args.domain}-test"
    finetuned = [_named(entry) for entry in args.finetuned]
    names = [name for name, _ in finetuned]
    if len(set(names)) < len(names) or {"base", "scratch"} & set(names):
        parser.error(f"--finetuned needs names of its own, not base or scratch and each once (got {', '.join(names)})")
    models = {"base": args.base, **dict(finetuned), "scratch": args.scratch}
    report: dict = {"domain": args.domain, "fit": fit, "test": test, "models": {}}
    points: dict[str, np.ndarray] = {}
    print(f"new domain {args.domain}: fit on {fit}, test on {test}")
    width = max(map(len, models))
    print(f"{'model':{width}} {'error %':>8} {'mean shape %':>13} {'identity vs base (median, % of crop)':>38}")
    for name, path in models.items():
        result = evaluate(path, fit, test).result
        landmark_model = LandmarkModel(path)
        points[name] = landmark_model(open_labelled(test, landmark_model.crop_size))
        row = {"path": str(path), "error": result.mean_error, "baseline": result.baseline_error}
        if name != "base" and points[name].shape != points["base"].shape:
            row |= {"identity_median_pct": None, "identity_per_landmark_pct": None}  # another K: no landmark k
        elif name != "base":
            overall, per_landmark = identity_drift(points["base"], points[name])
            row |= {
                "identity_median_pct": overall,
                "identity_per_landmark_pct": [round(float(v), 2) for v in per_landmark],
            }
        report["models"][name] = row
        drift = "-"
        if row.get("identity_per_landmark_pct"):
            per = " ".join(f"{v:.1f}" for v in row["identity_per_landmark_pct"])
            drift = f"{row['identity_median_pct']:.2f} (per landmark {per})"
        elif name != "base":
            drift = f"- ({points[name].shape[1]} landmarks against the base's {points['base'].shape[1]})"
        print(f"{name:{width}} {100 * row['error']:8.2f} {100 * row['baseline']:13.2f}   {drift}")
    relabelled, _ = identity_drift(points["base"], np.roll(points["base"], 1, axis=1))
    report["identity_scale_pct"] = {"base vs itself": 0.0, "base vs itself renumbered k -> k + 1": relabelled}
    print(f"identity scale: base vs itself 0.00; base vs itself renumbered k -> k + 1: {relabelled:.2f}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
