"""Morph one MNIST digit into another through discovered landmarks (paper App. B.3).

    python examples/mnist_morph.py ARTIFACT_DIR IMAGES_IDX [--from 2 --to 9] [--out mnist_morph.mp4]

The model (trained with the mnist-k7 preset, no descriptors) describes a digit by its 7 landmarks
alone; moving them linearly from one digit's to another's and decoding draws the morph.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np

from lmsdk.data import MnistDigits
from lmsdk.runtime import ShapeEditor, VideoSink


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("artifact", type=Path)
    parser.add_argument("images", type=Path, help="an MNIST *-images-idx3-ubyte[.gz] file (labels beside it)")
    parser.add_argument("--from", dest="first", type=int, default=2)
    parser.add_argument("--to", dest="second", type=int, default=9)
    parser.add_argument("--steps", type=int, default=24)
    parser.add_argument("--out", type=Path, default=Path("mnist_morph.mp4"))
    args = parser.parse_args()

    editor = ShapeEditor(args.artifact)
    a = MnistDigits(args.images, editor.size, digit=args.first).image(0)
    b = MnistDigits(args.images, editor.size, digit=args.second).image(0)
    frames = editor.morph(a, b, steps=args.steps)  # grey digits: RGB and BGR are the same
    sink = VideoSink(args.out, fps=12)
    for frame in [frames[0]] * 6 + frames + [frames[-1]] * 6:
        sink.write(cv2.resize(frame, None, fx=8, fy=8, interpolation=cv2.INTER_NEAREST))
    sink.close()
    strip = np.concatenate([frames[i] for i in np.linspace(0, len(frames) - 1, 8).astype(int)], axis=1)
    cv2.imwrite(str(args.out.with_suffix(".png")), cv2.resize(strip, None, fx=4, fy=4, interpolation=cv2.INTER_NEAREST))
    print(f"wrote {args.out} and {args.out.with_suffix('.png')}")


if __name__ == "__main__":
    main()
