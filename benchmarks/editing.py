"""Editing you can measure: edit accuracy, other-landmark motion and sharpness of exported models.

    python benchmarks/editing.py ARTIFACT [ARTIFACT ...] [--data ../shared/data/mtfl/train.txt] [--images 40]
        [--moves 4,8] [--out DIR] [--sheet edit.jpg] [--warp-ceiling] [--blur-reference 0.5,1,2]

For each artifact (torch-free: onnxruntime), on ``--images`` crops spread evenly over the last fifth of
``--data`` (the crops a model of the default protocol does not fit its regressor on; editing needs no
labels), every landmark is moved by each length in ``--moves`` (crop pixels) in the four axis directions, and
all landmarks together (a translation); the landmarks are re-detected on the edited images and on the plain
reconstruction (see :mod:`lmsdk.eval.editing`). The sharpness is given over the whole crop, inside the box
around the detected landmarks (``face``) and outside it (``rest``), beside the reconstructions' mean absolute
error (``L1``, pixel values in [0, 1]: sharpness counts any edge, faithful or not). Prints one table and writes
``DIR/editing.json``. With
``--warp-ceiling`` each artifact also gets a row ``(warp)``: the same edits made by warping the input crop
(each landmark's neighbourhood carried rigidly where it is sent, :mod:`lmsdk.eval.warp_edits`) and
re-detected by the artifact's detector: how far that detector follows a perfect pixel edit (the spline is
solved with torch: this flag needs the training install).
``--sheet`` draws input | reconstruction | edit of three faces for every artifact side by side (landmarks 3
and 0 moved by ``--sheet-px`` crop pixels, as the edit figure of docs/results.md). Skips (exit 0, a
message) when the data is absent.
``--blur-reference`` adds a scale for the sharpness: the same inputs blurred by a Gaussian of each sigma
(pixels), with their sharpness (``blur_reference`` in ``editing.json``).
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

import numpy as np

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "mtfl" / "train.txt"
logger = logging.getLogger("benchmarks.editing")


def crops_of(data: str, size: int, count: int) -> list[np.ndarray]:
    """``count`` BGR uint8 crops of side ``size``, spread evenly over the last fifth of ``data``."""
    from lmsdk.data.sources import DataConfig, open_source
    from lmsdk.geometry import rgb_to_bgr

    source = open_source(DataConfig(source=data, cache=False), size)
    n = len(source)
    start = n - n // 5 if n >= 5 else 0
    picked = np.linspace(start, n - 1, min(count, n - start)).round().astype(int)
    return [np.ascontiguousarray(rgb_to_bgr(source.image(int(i)))) for i in picked]


def sheet_rows(artifact: Path, crops: list[np.ndarray], move_px: float) -> list[np.ndarray]:
    """Input | reconstruction | edit (landmark 3 down-left, landmark 0 up) of each crop, enlarged (BGR)."""
    from lmsdk.runtime import ShapeEditor
    from lmsdk.viz import edit_sheet

    editor = ShapeEditor(artifact)
    moves = {3 % editor.num_landmarks: (-0.5 * move_px, move_px), 0: (0.0, -move_px)}
    rows = []
    for crop in crops:
        r = editor.edit(crop, moves)
        rows.append(edit_sheet(r.original, r.reconstruction, r.image, r.code.normalized, r.landmarks, list(moves)))
    return rows


def sigmas(text: str) -> list[float]:
    """``--blur-reference``'s comma-separated Gaussian sigmas (pixels, > 0); argparse reports a bad list."""
    try:
        values = [float(v) for v in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated numbers, got {text!r}") from None
    if any(not v > 0 for v in values):
        raise argparse.ArgumentTypeError(f"blur sigmas must be > 0 pixels, got {text!r}")
    return values


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("artifacts", type=Path, nargs="+")
    parser.add_argument("--data", default=str(DEFAULT_DATA))
    parser.add_argument("--images", type=int, default=40)
    parser.add_argument("--moves", default="4,8", help="move lengths in crop pixels, comma-separated")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/editing"))
    parser.add_argument("--sheet", type=Path, default=None, help="also write an edit sheet image here")
    parser.add_argument("--sheet-px", type=float, default=8.0, help="move length of the sheet's edits (crop px)")
    parser.add_argument(
        "--warp-ceiling",
        action="store_true",
        help="also measure edits made by warping the input itself: what the artifact's detector allows",
    )
    parser.add_argument(
        "--blur-reference",
        type=sigmas,
        default=[],
        help="also give the sharpness of the inputs blurred by these Gaussian sigmas (pixels, comma-separated)",
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if args.data == str(DEFAULT_DATA) and not DEFAULT_DATA.is_file():
        logger.info("skipped: %s not found (the MTFL dev data is not part of lmsdk)", DEFAULT_DATA)
        return
    from lmsdk.eval.editing import RuntimeEditModel, blur_reference, editing_report
    from lmsdk.fileio import atomic_write_json
    from lmsdk.runtime import Detector, ShapeEditor

    moves = tuple(float(v) for v in args.moves.split(","))
    results, sheets = {}, []
    for artifact in args.artifacts:
        model = RuntimeEditModel(ShapeEditor(artifact), Detector(artifact))
        crops = crops_of(args.data, model.size, args.images)
        start = time.monotonic()
        report = editing_report(model, crops, moves)
        results[str(artifact)] = {**report.to_dict(), "seconds": round(time.monotonic() - start, 1)}
        if args.warp_ceiling:
            from lmsdk.eval.warp_edits import WarpEditModel

            start = time.monotonic()
            warp = editing_report(WarpEditModel(model.detect, model.num_landmarks, model.size), crops, moves)
            results[f"{artifact} (warp)"] = {**warp.to_dict(), "seconds": round(time.monotonic() - start, 1)}
        if args.sheet is not None:
            sheets.append(sheet_rows(artifact, crops[:3], args.sheet_px))
    header = (
        f"{'artifact':40s} {'move':>5s} {'along':>6s} {'across':>6s} {'others':>6s} {'transl':>6s} {'sharp':>6s} "
        f"{'face':>6s} {'rest':>6s} {'L1':>6s}"
    )
    lines = [header]
    for name, r in results.items():
        for single, translation in zip(r["single"], r["translation"], strict=True):
            lines.append(
                f"{Path(name).name[-40:]:40s} {single['move_px']:5.1f} {single['along']:6.3f} {single['across']:6.3f} "
                f"{single['others']:6.3f} {translation['along']:6.3f} {r['sharpness']:6.3f} "
                f"{r['sharpness_face']:6.3f} {r['sharpness_rest']:6.3f} {r['reconstruction_error']:6.3f}"
            )
    summary: dict = {"data": args.data, "moves_px": moves, "results": results}
    if args.blur_reference:
        scale = blur_reference(np.stack(crops), args.blur_reference)
        lines += ["", f"{'inputs blurred by a Gaussian of sigma (px)':44s} {'sharp':>6s}"]
        lines += [f"{sigma:44.2f} {ratio:6.3f}" for sigma, ratio in scale.items()]
        summary["blur_reference"] = {str(sigma): ratio for sigma, ratio in scale.items()}
    sys.stdout.write("\n".join(lines) + "\n")
    args.out.mkdir(parents=True, exist_ok=True)
    atomic_write_json(args.out / "editing.json", summary)
    logger.info("wrote %s", args.out / "editing.json")
    if sheets:
        from lmsdk.images import write_image
        from lmsdk.viz import tile

        faces = [tile([rows[i] for rows in sheets], columns=len(sheets), pad=6) for i in range(len(sheets[0]))]
        width = max(f.shape[1] for f in faces)
        write_image(args.sheet, np.concatenate([f[:, :width] for f in faces]))
        logger.info("wrote %s", args.sheet)


if __name__ == "__main__":
    main()
