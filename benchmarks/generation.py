"""Landmark-conditioned generation you can measure: the cyclic check of an exported generator (paper Fig. 11).

    python benchmarks/generation.py GEN_ARTIFACT [--data ../shared/data/mtfl/train.txt] [--images 200] [--n 4]
        [--seed 0] [--out DIR] [--grid generation.jpg] [--grid-references 4] [--grid-n 6]

On ``--images`` reference crops spread evenly over the last fifth of ``--data`` (torch-free: onnxruntime), the
artifact's detector finds each reference's landmarks, the generator draws ``--n`` images with them (Gaussian
latents, ``--seed``), and the same detector finds the landmarks on every generated image. Prints how far they
sit from their reference's (the condition): as a fraction of the crop side, in crop pixels and, where the data
has eye annotations, over the inter-ocular distance (:func:`lmsdk.eval.editing.landmark_consistency`), beside
two baselines a generator that ignored its condition could reach (another reference's landmarks; the mean
training landmarks, from the artifact's framing), and the generations' sharpness (their gradient energy over
their references': a generator can satisfy the detector with faint marks where the landmarks go, which the
landmark figures alone would not show); writes ``DIR/generation.json``. ``--grid`` draws
``--grid-references`` references (landmarks drawn) with ``--grid-n`` generations each. Skips (exit 0, a
message) when the data is absent.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

import numpy as np

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "mtfl" / "train.txt"
logger = logging.getLogger("benchmarks.generation")


def references(data: str, size: int, count: int) -> tuple[list[np.ndarray], np.ndarray | None]:
    """``count`` BGR uint8 crops of side ``size`` spread evenly over the last fifth of ``data``, and their
    inter-ocular distances as fractions of the crop side (None without eye annotations)."""
    from lmsdk.data.sources import DataConfig, open_source
    from lmsdk.geometry import rgb_to_bgr

    source = open_source(DataConfig(source=data, cache=False), size)
    n = len(source)
    start = n - n // 5 if n >= 5 else 0
    picked = np.linspace(start, n - 1, min(count, n - start)).round().astype(int)
    crops = [np.ascontiguousarray(rgb_to_bgr(source.image(int(i)))) for i in picked]
    eyes = source.normalizer_indices if source.has_keypoints else None
    if eyes is None:
        return crops, None
    points = np.stack([source.keypoints(int(i)) for i in picked])
    return crops, np.linalg.norm(points[:, eyes[0]] - points[:, eyes[1]], axis=-1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("artifact", type=Path, help="an artifact exported from a generator run")
    parser.add_argument("--data", default=str(DEFAULT_DATA), help="reference images (an MTFL list or a folder)")
    parser.add_argument("--images", type=int, default=200, help="reference crops")
    parser.add_argument("--n", type=int, default=4, help="generations per reference")
    parser.add_argument("--seed", type=int, default=0, help="seed of the latents")
    parser.add_argument("--out", type=Path, default=None, help="folder for generation.json (default: the artifact)")
    parser.add_argument("--grid", type=Path, default=None, help="write a grid of references and generations here")
    parser.add_argument("--grid-references", type=int, default=4, help="references in the grid")
    parser.add_argument("--grid-n", type=int, default=6, help="generations per reference in the grid")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")

    from lmsdk.eval.editing import landmark_consistency, sharpness_ratio
    from lmsdk.fileio import atomic_write_json
    from lmsdk.images import write_image
    from lmsdk.runtime import Detector, Generator
    from lmsdk.viz import generation_row, tile

    if not Path(args.data.partition("#")[0]).exists():
        print(f"skipped: {args.data} not found")
        return 0
    start = time.perf_counter()
    generator, detector = Generator(args.artifact), Detector(args.artifact)
    size = generator.size
    crops, inter_ocular = references(args.data, size, args.images)
    conditions, detected, generated = [], [], []
    for i, crop in enumerate(crops):
        result = generator.like(crop, n=args.n, seed=args.seed + i)
        found = detector(list(result.images))
        conditions += [result.landmarks] * args.n
        detected += [f.normalized for f in found]
        generated += list(result.images)
    iod = None if inter_ocular is None else np.repeat(inter_ocular, args.n)
    detected_all, conditions_all = np.stack(detected), np.stack(conditions)
    figures = landmark_consistency(detected_all, conditions_all, size, iod)
    # Baselines a generator that ignored its condition could reach: another reference's landmarks (the
    # conditions rolled by one reference), and the mean landmark positions on the training crops (the framing).
    other = landmark_consistency(detected_all, np.roll(conditions_all, args.n, axis=0), size)
    framing = generator.manifest.framing
    mean_shape = None
    if framing is not None:
        mean = np.broadcast_to(np.asarray(framing.mean, np.float32), conditions_all.shape)
        mean_shape = landmark_consistency(mean, conditions_all, size).mean_crop
    table = {
        "artifact": str(args.artifact),
        "data": args.data,
        "references": len(crops),
        "generations_per_reference": args.n,
        "seed": args.seed,
        "mean_crop": figures.mean_crop,
        "mean_px": figures.mean_px,
        "mean_inter_ocular": figures.mean_inter_ocular,
        "per_landmark_crop": figures.per_landmark_crop,
        "baseline_other_reference_crop": other.mean_crop,
        "baseline_mean_shape_crop": mean_shape,
        # gradient energy of the generations over that of their references (lmsdk.eval.editing.sharpness_ratio)
        "sharpness": sharpness_ratio(np.stack(generated), np.repeat(np.stack(crops), args.n, axis=0)),
        "seconds": round(time.perf_counter() - start, 1),
    }
    print(f"{'references':>10} {'images':>7} {'% of crop':>10} {'px':>6} {'% inter-ocular':>15}")
    iod_text = "-" if figures.mean_inter_ocular is None else f"{100 * figures.mean_inter_ocular:.2f}"
    crop_pct = 100 * figures.mean_crop
    print(f"{len(crops):>10} {figures.images:>7} {crop_pct:>10.2f} {figures.mean_px:>6.2f} {iod_text:>15}")
    print("per landmark, % of crop: " + " ".join(f"{100 * v:.1f}" for v in figures.per_landmark_crop))
    print(f"baselines, % of crop: another reference's landmarks {100 * other.mean_crop:.2f}", end="")
    print("" if mean_shape is None else f", the mean training landmarks {100 * mean_shape:.2f}")
    print(f"sharpness (gradient energy of generations over their references'): {table['sharpness']:.3f}")
    out = args.out or args.artifact
    atomic_write_json(out / "generation.json", table)
    if args.grid is not None:
        picked = np.linspace(0, len(crops) - 1, min(args.grid_references, len(crops))).round().astype(int)
        rows = []
        for i in picked:
            result = generator.like(crops[i], n=args.grid_n, seed=args.seed + 1000 + int(i))
            rows += generation_row(result.reference, result.landmarks, result.images)
        write_image(args.grid, tile(rows, columns=args.grid_n + 1))
        print(f"wrote {args.grid}")
    generator.close()
    detector.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
