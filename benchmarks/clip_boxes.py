"""Frame talking-face clips like a labelled image set: a clip list whose boxes put each clip's face where the
image set's crops put theirs (what ``lmsdk train --data IMAGES --data LIST`` then trains on).

    PYTHONPATH=. /work/mpvenv/bin/python benchmarks/clip_boxes.py CLIP... --out benchmarks/clips/train.txt
                 [--framing ../shared/data/mtfl/train.txt#fit]

For every clip, MediaPipe FaceMesh (benchmarks/mediapipe_mesh.py) finds the five face points in each frame; the
box of a frame is the least-squares square in which those points sit at the image set's mean positions of its
five annotated points (MTFL: eyes 0.28 of the side apart); the clip's box is the median over its frames (one fixed
box per clip: the flow between two frames is then the face's own motion, not the crop's). Needs mediapipe.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

import numpy as np

from benchmarks.mediapipe_mesh import face_mesh_track
from benchmarks.tracker_pass import load_frames
from lmsdk.data.clip_list import Clip, write_clip_list
from lmsdk.data.sources import open_labelled, spread_indices
from lmsdk.geometry import Box

logger = logging.getLogger("clip_boxes")


def mean_framing(spec: str, images: int = 2000) -> np.ndarray:
    """``(5, 2)`` the mean normalised positions of a labelled face set's five points in its training crops."""
    source = open_labelled(spec, 64)
    idx = spread_indices(len(source), images)
    return np.nanmean(np.stack([source.keypoints(int(i)) for i in idx]), 0)


def fitted_box(points: np.ndarray, framing: np.ndarray) -> np.ndarray:
    """``(left, top, side)`` of the square in which ``points`` ``(5, 2)`` (OpenCV pixels) best sit at ``framing``
    ``(5, 2)`` (normalised), least squares: ``p + 0.5 = (left, top) + side * m``."""
    a = np.zeros((2 * len(framing), 3))
    a[0::2, 0], a[1::2, 1] = 1.0, 1.0
    a[0::2, 2], a[1::2, 2] = framing[:, 0], framing[:, 1]
    return np.linalg.lstsq(a, (points + 0.5).reshape(-1), rcond=None)[0]


def clip_box(path: Path, framing: np.ndarray) -> tuple[Box | None, float]:
    """The median box of a clip's frames and the share of frames with a face (None: no face found)."""
    frames, _ = load_frames(path)
    mesh = face_mesh_track(frames, refine=True)
    if mesh is None:
        raise SystemExit("error: mediapipe (with its legacy solutions API) is not installed")
    named = mesh.named()
    found = np.isfinite(named).all((1, 2))
    if not found.any():
        return None, 0.0
    left, top, side = np.median([fitted_box(p, framing) for p in named[found]], axis=0)
    return Box(float(left), float(top), float(side), float(side)), float(found.mean())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("clips", nargs="+", type=Path, help="video files")
    parser.add_argument("--out", type=Path, required=True, help="the clip list to write")
    parser.add_argument("--framing", default="../shared/data/mtfl/train.txt#fit", help="labelled face images")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    framing = mean_framing(args.framing)
    clips = []
    for path in args.clips:
        box, share = clip_box(path, framing)
        if box is None:
            print(f"error: {path}: MediaPipe found no face in any frame", file=sys.stderr)
            return 2
        logger.info("%s: box %s (face in %.0f %% of frames)", path, [round(v) for v in box.to_xyxy()], 100 * share)
        clips.append(Clip(path, box))
    comment = f"faces framed like {args.framing} (benchmarks/clip_boxes.py: MediaPipe's five points, median box)"
    write_clip_list(args.out, clips, comment=comment)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
