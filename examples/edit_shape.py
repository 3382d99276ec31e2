"""Shape editing with discovered landmarks: move a landmark, re-decode; morph one face into another.

    python examples/edit_shape.py ARTIFACT_DIR [--image face.jpg] [--landmark 0 --dx 0 --dy -6] [--out edits/]

Writes ``edit.png`` (input | reconstruction | edit, the moved landmark marked with an arrow) and
``morph.mp4`` (the landmarks of the first face moved linearly onto a second face's, decoded with the
first face's descriptors: its shape changes, its appearance stays). Without --image it uses synthetic
faces that lmsdk draws itself.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np

from lmsdk.data import SyntheticFaces
from lmsdk.runtime import ShapeEditor, VideoSink
from lmsdk.viz import edit_sheet


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("artifact", type=Path)
    parser.add_argument("--image", type=Path, default=None)
    parser.add_argument("--other", type=Path, default=None, help="the face to morph into")
    parser.add_argument("--landmark", type=int, default=0)
    parser.add_argument("--dx", type=float, default=0.0, help="pixels of the image")
    parser.add_argument("--dy", type=float, default=-6.0)
    parser.add_argument("--out", type=Path, default=Path("edits"))
    args = parser.parse_args()

    editor = ShapeEditor(args.artifact)
    faces = SyntheticFaces(160, 2, seed=3)

    def load(path: Path | None, index: int) -> np.ndarray:
        if path is None:
            return np.ascontiguousarray(faces.image(index)[:, :, ::-1])  # RGB -> BGR, like cv2.imread
        image = cv2.imread(str(path))
        if image is None:
            raise SystemExit(f"{path}: cannot read the image")
        return image

    image, other = load(args.image, 0), load(args.other, 1)
    args.out.mkdir(parents=True, exist_ok=True)
    result = editor.edit(image, {args.landmark: (args.dx, args.dy)})
    sheet = edit_sheet(
        result.original, result.reconstruction, result.image, result.code.normalized, result.landmarks, [args.landmark]
    )
    cv2.imwrite(str(args.out / "edit.png"), sheet)
    sink = VideoSink(args.out / "morph.mp4", fps=15)
    frames = editor.morph(image, other, steps=30)
    for frame in frames + frames[::-1]:
        sink.write(cv2.resize(frame, None, fx=4, fy=4, interpolation=cv2.INTER_CUBIC))
    sink.close()
    print(f"wrote {args.out / 'edit.png'} and {args.out / 'morph.mp4'}")


if __name__ == "__main__":
    main()
