"""An independent face detector for the generation figures: MediaPipe's BlazeFace, and its scale on real crops.

    python benchmarks/face_detector.py [--data ../shared/data/mtfl/train.txt#test] [--size 80] [--images 1000]
        [--confidence 0.5] [--out face_detector.json]

:func:`mediapipe_face_detector` gives ``lmsdk.eval.generation`` its face detector (one BGR uint8 image -> whether
it holds a face): MediaPipe's face detection, the short-range BlazeFace model bundled in the ``mediapipe`` wheel
(the full-range model finds faces in 65 % of 80 px MTFL crops at 128 px, the short-range one in 99.8 %). It uses
the legacy ``solutions`` API of mediapipe 0.10.x (``pip install 'lmsdk[bench]'``: never a dependency of lmsdk),
which wants numpy < 2: run the benchmarks that use it in a venv of their own with lmsdk's runtime from the
checkout (docs/generation.md). Run as a script, it measures the detector's scale: the rate on ``--images`` real
crops of side ``--size`` spread over ``--data``, resized to 128 px as the generation figures resize images, and on
floors made of them (each crop's mean colour, a Gaussian blur of a tenth of the side, the mean of 200 crops).
Skips (exit 0, a message) where the data or mediapipe is absent.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "mtfl" / "train.txt"
CONFIDENCE = 0.5  # MediaPipe's own default min_detection_confidence
SHORT_RANGE = 0  # model_selection: BlazeFace short range (faces that fill the picture, as a crop's do)


def mediapipe_face_detector(
    confidence: float = CONFIDENCE,
) -> tuple[Callable[[np.ndarray], bool], Callable[[], None], str] | None:
    """``(detect, close, description)`` of MediaPipe's short-range face detector, or None without mediapipe's
    legacy ``solutions`` API. ``detect`` takes one ``(H, W, 3)`` BGR uint8 image."""
    try:
        import mediapipe  # type: ignore[import-not-found]

        solution = mediapipe.solutions.face_detection  # the legacy API: mediapipe 0.10.x up to 0.10.21 at least
    except (ImportError, AttributeError):
        return None
    detector = solution.FaceDetection(model_selection=SHORT_RANGE, min_detection_confidence=confidence)

    def detect(image: np.ndarray) -> bool:
        return bool(detector.process(cv2.cvtColor(image, cv2.COLOR_BGR2RGB)).detections)

    description = f"MediaPipe {mediapipe.__version__} face detection (BlazeFace short range), confidence {confidence}"
    return detect, detector.close, description


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default=f"{DEFAULT_DATA}#test", help="real crops (an MTFL list, a folder, ...)")
    parser.add_argument("--size", type=int, default=80, help="side of the crops before the resize to 128 px")
    parser.add_argument("--images", type=int, default=1000, help="crops spread evenly over --data")
    parser.add_argument("--confidence", type=float, default=CONFIDENCE, help="MediaPipe's min_detection_confidence")
    parser.add_argument("--out", type=Path, default=None, help="write the rates here as JSON")
    args = parser.parse_args(argv)

    from lmsdk.data.sources import DataConfig, open_source, spread_indices
    from lmsdk.eval.generation import blurred_images, face_rate, flat_images

    if not Path(args.data.partition("#")[0]).exists():
        print(f"skipped: {args.data} not found")
        return 0
    found = mediapipe_face_detector(args.confidence)
    if found is None:
        print("skipped: mediapipe.solutions is not installed (pip install 'lmsdk[bench]' in a venv of its own)")
        return 0
    detect, close, description = found
    source = open_source(DataConfig(source=args.data, cache=False), args.size)
    picked = spread_indices(len(source), args.images)
    crops = np.stack([source.image(int(i))[:, :, ::-1] for i in picked])  # BGR
    means = [crops[i : i + 200].mean(0).round().astype(np.uint8) for i in range(0, len(crops) - 199, 200)]
    rates = {
        "real": face_rate(crops, detect),
        "blurred": face_rate(blurred_images(crops), detect),
        "flat": face_rate(flat_images(crops), detect),
        "mean_of_200": face_rate(np.stack(means), detect) if means else None,
    }
    close()
    print(f"{description}; {len(crops)} crops of {args.size} px from {args.data}, resized to 128 px")
    for name, rate in rates.items():
        print(f"{name:>12}: " + ("-" if rate is None else f"{100 * rate:.1f} % found"))
    if args.out is not None:
        report = {"detector": description, "data": args.data, "size": args.size, "crops": len(crops), **rates}
        args.out.write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
