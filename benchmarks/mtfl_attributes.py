"""Attributes from discovered landmarks (paper Sec. 4.3) on MTFL: gender, smile, glasses.

    python benchmarks/mtfl_attributes.py RUN_DIR [--data ../shared/data/mtfl/train.txt] [--out FILE.json]

A linear SVM per attribute on the landmark coordinates, trained on 8,000 images and tested on the other
2,000 (the split of benchmarks/mtfl_regression.py), against always answering the majority class.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "mtfl" / "train.txt"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", type=Path)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/mtfl_attributes.json"))
    args = parser.parse_args()
    if not args.data.is_file():
        print(f"skipped: {args.data} not found (the MTFL dev data is not part of lmsdk)")
        return
    from lmsdk.data.mtfl import MtflList
    from lmsdk.eval.attributes import attribute_accuracy
    from lmsdk.eval.evaluate import LandmarkModel

    model = LandmarkModel(args.model)
    source = MtflList(args.data, model.crop_size)
    points = model(source)
    attributes = source.attributes()
    order = np.random.default_rng(0).permutation(len(source))
    train, test = order[:8000], order[8000:]
    rows = []
    print(f"{'attribute':10} {'accuracy':>9} {'majority':>9} {'train':>6} {'test':>6}")
    for column, name in enumerate(("gender", "smile", "glasses")):
        r = attribute_accuracy(name, points[train], attributes[train, column], points[test], attributes[test, column])
        rows.append(vars(r))
        print(f"{name:10} {100 * r.accuracy:8.1f}% {100 * r.majority:8.1f}% {r.n_train:6d} {r.n_test:6d}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"model": str(args.model), "attributes": rows}, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
