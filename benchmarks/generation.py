"""Landmark-conditioned generation measured by four figures a flat image fails (paper Fig. 11; docs/generation.md).

    python -m benchmarks.generation ARTIFACT [--data ../shared/data/mtfl/train.txt#test] [--references 200]
        [--n 4] [--seed 0] [--temperature 1] [--source prior --source generator] [--no-faces] [--out DIR]
        [--sheet sheet.jpg] [--sheet-references 4] [--sheet-n 6]

On ``--references`` crops spread evenly over ``--data`` (by default MTFL's held-out split: faces the prior was not
fitted on; torch-free), the artifact's detector finds each reference's landmarks and every source draws ``--n``
images with them (``--source``, repeatable; default every source the artifact has: the prior over its codes,
and its trained generator where it has one; latents from ``--seed``, scaled by ``--temperature``). Printed for
each source's generations, and beside them for the references themselves (the ceiling), the decoder's plain
reconstructions of the references, and two floors made of them (Gaussian-blurred, flat;
:mod:`lmsdk.eval.generation`):

- **face found**: the rate at which MediaPipe's face detector (BlazeFace, :mod:`benchmarks.face_detector`) finds
  a face in the image resized to 128 px; also on the mean of the references (a blurred average face). Without
  mediapipe (or with ``--no-faces``) the column is skipped with a message;
- **control**: the rate at which the landmarks detected on a generation lie closer to its own reference's
  than to another reference's (0.5: an image that ignores its condition);
- **diversity**: the mean absolute difference between two generations of one reference (pixel values in
  [0, 1]); for the other rows, between n different references;
- **sharpness**: gradient energy over the references' (the editing benchmark's figure).

Where the artifact has both sources (a generator run's export: ``generator`` is BEGAN's, started from the prior or
from noise as its manifest says; ``prior`` is the prior with the run's original decoder, what BEGAN started from),
the two are judged figure by figure (:mod:`lmsdk.eval.generation_verdict`: face found and control, the higher
wins; diversity and sharpness, the nearer the real crops'; ties under 2 % of the real crops' figure) and the
benchmark says whether the generator beats the prior: whether BEGAN earns its place.

Writes ``DIR/generation.json`` (default: the artifact's ``eval/``, which a re-export replaces with the rest).
``--sheet`` draws ``--sheet-references`` references (their landmarks drawn), each followed by ``--sheet-n``
generations of every source, one row per source. MediaPipe needs numpy < 2: run this in a venv with mediapipe
0.10.21 and lmsdk's runtime from the checkout (docs/generation.md). Skips (exit 0, a message) when the data is
absent.
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


def references(data: str, size: int, count: int) -> np.ndarray:
    """``(count, size, size, 3)`` BGR uint8 crops spread evenly over ``data`` (fewer where it holds fewer)."""
    from lmsdk.data.sources import DataConfig, open_source, spread_indices

    source = open_source(DataConfig(source=data, cache=False), size)
    picked = spread_indices(len(source), count)
    return np.stack([np.ascontiguousarray(source.image(int(i))[:, :, ::-1]) for i in picked])


def print_table(rows: dict, mean_face: bool | None) -> None:
    print(f"{'images':24} {'face found':>10} {'control':>8} {'diversity':>10} {'sharpness':>10}")
    for name, figures in rows.items():
        cells = [figures[k] for k in ("face_rate", "control", "diversity", "sharpness")]
        text = ["-" if v is None else f"{v:.3f}" for v in cells]
        print(f"{name:24} {text[0]:>10} {text[1]:>8} {text[2]:>10} {text[3]:>10}")
    if mean_face is not None:
        print(f"the mean of the references: {'a face found' if mean_face else 'no face found'}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("artifact", type=Path, help="an artifact (lmsdk export) of a model with descriptors")
    parser.add_argument(
        "--data", default=f"{DEFAULT_DATA}#test", help="reference images (an MTFL list, a folder, 'synthetic')"
    )
    parser.add_argument("--references", type=int, default=200, help="reference crops")
    parser.add_argument("--n", type=int, default=4, help="generations per reference and source (at least 2)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the latents")
    parser.add_argument("--temperature", type=float, default=1.0, help="standard deviation of the latents")
    parser.add_argument("--source", action="append", choices=["prior", "generator"], help="what draws (repeatable)")
    parser.add_argument("--no-faces", action="store_true", help="skip the face detector")
    parser.add_argument("--out", type=Path, default=None, help="folder for generation.json (default: ARTIFACT/eval)")
    parser.add_argument("--sheet", type=Path, default=None, help="write a sheet of references and generations here")
    parser.add_argument("--sheet-references", type=int, default=4, help="references on the sheet")
    parser.add_argument("--sheet-n", type=int, default=6, help="generations per reference and source on the sheet")
    args = parser.parse_args(argv)
    if args.n < 2 or args.references < 2:
        parser.error("--n and --references must be at least 2 (diversity compares pairs, control pairs references)")
    logging.basicConfig(level=logging.INFO, format="%(message)s")

    from benchmarks.face_detector import mediapipe_face_detector
    from lmsdk.data.sources import spread_indices
    from lmsdk.eval.editing import RuntimeEditModel
    from lmsdk.eval.generation import image_set_rows, measure
    from lmsdk.eval.generation_verdict import compare
    from lmsdk.fileio import atomic_write_json
    from lmsdk.images import write_image
    from lmsdk.runtime import Artifact, Detector, Generator, ShapeEditor
    from lmsdk.spec import GENERATOR, PRIOR
    from lmsdk.viz import generation_row, tile

    if args.data != "synthetic" and not Path(args.data.partition("#")[0]).exists():
        print(f"skipped: {args.data} not found")
        return 0
    start = time.perf_counter()
    artifact = Artifact(args.artifact)
    sources = args.source or [s for s in (PRIOR, GENERATOR) if s in artifact.manifest.files]
    if not sources:
        parser.error(f"{args.artifact} has neither a prior nor a generator: re-export the run with this lmsdk")
    faces = None if args.no_faces else mediapipe_face_detector()
    if faces is None and not args.no_faces:
        print("face found skipped: mediapipe.solutions is not installed (docs/generation.md)", file=sys.stderr)
    detect_face, close_faces, face_detector = faces if faces is not None else (None, None, None)
    model = RuntimeEditModel(ShapeEditor(artifact), Detector(artifact))
    crops = references(args.data, model.size, args.references)
    generators = {source: Generator(artifact, source=source) for source in sources}
    conditions = model.detect(crops)  # (R, K, 2): what like() conditions on (the whole crop is the box)
    figures = {}
    for source, generator in generators.items():
        drawn = [generator.like(c, args.n, args.seed + i, temperature=args.temperature) for i, c in enumerate(crops)]
        images = np.stack([result.images for result in drawn])  # (R, n, S, S, 3)
        figures[f"generated ({source})"] = measure(images, crops, conditions, model.detect, detect_face)
    reconstructions = model.reconstruct(list(crops))
    figures["reconstructions"] = measure(reconstructions[:, None], crops, conditions, model.detect, detect_face)
    for name, found in image_set_rows(crops, conditions, args.n, model.detect, detect_face).items():
        figures[f"{name} crops"] = found
    rows = {name: found.to_dict() for name, found in figures.items()}
    pair = (f"generated ({GENERATOR})", f"generated ({PRIOR})")
    verdict = compare(figures[pair[0]], figures[pair[1]], figures["real crops"]) if set(pair) <= set(figures) else None
    mean_face = None if detect_face is None else detect_face(crops.mean(0).round().astype(np.uint8))
    table = {
        "artifact": str(args.artifact),
        "data": args.data,
        "references": len(crops),
        "generations_per_reference": args.n,
        "seed": args.seed,
        "temperature": args.temperature,
        "face_detector": face_detector,
        "generator": artifact.manifest.generator,
        "rows": rows,
        "generator_vs_prior": None
        if verdict is None
        else {"candidate": GENERATOR, "baseline": PRIOR, **verdict.to_dict()},
        "mean_reference_face_found": mean_face,
        "seconds": round(time.perf_counter() - start, 1),
    }
    print_table(rows, mean_face)
    if verdict is not None:
        # lmsdk.model.prior_generator.ARCHITECTURE, spelled out: this benchmark runs where torch is not installed
        started = (artifact.manifest.generator or {}).get("architecture") == "prior-decoder"
        print(f"the generator (BEGAN from {'the prior' if started else 'noise'}) against the prior with the decoder:")
        print("\n".join(verdict.lines(GENERATOR, PRIOR)))
    atomic_write_json((args.out or args.artifact / "eval") / "generation.json", table)
    if args.sheet is not None:
        picked = spread_indices(len(crops), args.sheet_references)
        tiles = []
        for i in picked:
            for generator in generators.values():
                seed = args.seed + 1000 + int(i)
                result = generator.like(crops[i], n=args.sheet_n, seed=seed, temperature=args.temperature)
                tiles += generation_row(result.reference, result.landmarks, result.images)
        write_image(args.sheet, tile(tiles, columns=args.sheet_n + 1))
        print(f"wrote {args.sheet}")
    for generator in generators.values():
        generator.close()
    model.editor.close()
    model.detector.close()
    if close_faces is not None:
        close_faces()
    return 0


if __name__ == "__main__":
    sys.exit(main())
