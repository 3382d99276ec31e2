"""Live landmark tracking and shape editing from a webcam, with everything a laptop demo needs.

    python examples/webcam_demo.py ARTIFACT_DIR [--source 0] [--out demo.mp4]

- Tracks the model's landmarks live and shows them with the frame rate and inference time.
- Drag a landmark with the mouse: the decoder re-renders the face with the landmark moved (right panel:
  reconstruction | edit).
- Keys: s toggles smoothing, e toggles the editing panel, r resets tracking and edits, q or Esc quits.

Without a camera it falls back to a video file (--fallback, or a synthetic clip it makes itself); without a
display it does not open a window (that would abort the process) and writes the annotated video instead,
with a demonstration edit, to --out. It never crashes for lack of either.
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from lmsdk.data.clips import ClipSpec, write_clip
from lmsdk.runtime import (
    Detector,
    ShapeEditor,
    Tracker,
    TrackerConfig,
    VideoError,
    VideoSink,
    VideoSource,
    draw_track,
    has_display,
)

logger = logging.getLogger("webcam_demo")
WINDOW = "lmsdk webcam demo"


class EditState:
    """Which landmark the mouse holds and where it has been dragged (frame pixels)."""

    def __init__(self) -> None:
        self.selected: int | None = None
        self.moves: dict[int, tuple[float, float]] = {}
        self.points: np.ndarray | None = None

    def on_mouse(self, event: int, x: int, y: int, flags: int, param: object) -> None:
        if self.points is None:
            return
        if event == cv2.EVENT_LBUTTONDOWN:
            distances = np.linalg.norm(self.points - np.array([x, y]), axis=1)
            nearest = int(np.nanargmin(distances)) if np.isfinite(distances).any() else None
            self.selected = nearest if nearest is not None and distances[nearest] < 20 else None
        elif event == cv2.EVENT_MOUSEMOVE and self.selected is not None:
            px, py = self.points[self.selected]
            self.moves[self.selected] = (x - px, y - py)
        elif event == cv2.EVENT_LBUTTONUP:
            self.selected = None


def open_source(source: str, fallback: str | None, workdir: Path) -> VideoSource:
    try:
        return VideoSource(source)
    except VideoError as exc:
        logger.warning("%s; falling back to a video file", exc)
    if fallback is None:
        fallback = str(workdir / "synthetic_face.avi")
        write_clip(fallback, ClipSpec(frames=180, motion="drift"))
        logger.info("made a synthetic clip: %s", fallback)
    return VideoSource(fallback)


def edit_panel(
    editor: ShapeEditor, frame: np.ndarray, result, moves: dict[int, tuple[float, float]], height: int
) -> np.ndarray:
    """Reconstruction | edit of the tracked crop, scaled to ``height``."""
    edit = editor.edit(frame, moves, result.box)
    panel = np.concatenate([edit.reconstruction, edit.image], axis=1)
    return cv2.resize(panel, (2 * height, height), interpolation=cv2.INTER_CUBIC)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("artifact", type=Path)
    parser.add_argument("--source", default="0", help="camera index or video file")
    parser.add_argument("--fallback", default=None, help="video to use when the source cannot be opened")
    parser.add_argument("--out", type=Path, default=Path("webcam_demo.mp4"), help="output when there is no display")
    parser.add_argument("--max-frames", type=int, default=0, help="stop after this many frames (0: until the end)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")

    detector = Detector(args.artifact)
    editor = ShapeEditor(args.artifact)
    config = TrackerConfig()
    tracker = Tracker(detector, config)
    show = has_display()
    state = EditState()
    if not show:
        logger.info("no display: writing %s instead of opening a window (with a demonstration edit)", args.out)
        state.moves = {0: (0.0, -6.0)}
    smoothing, editing = True, True
    sink = None
    with tempfile.TemporaryDirectory() as tmp, open_source(args.source, args.fallback, Path(tmp)) as video:
        sink = None if show else VideoSink(args.out, video.fps)
        if show:
            cv2.namedWindow(WINDOW)
            cv2.setMouseCallback(WINDOW, state.on_mouse)
        fps, last = float("nan"), time.perf_counter()
        for frame in video:
            result = tracker.update(frame.image, None if video.is_camera else frame.timestamp)
            state.points = result.points
            view = draw_track(frame.image, result, fps)
            if editing and result.found:
                panel = edit_panel(editor, frame.image, result, state.moves, view.shape[0] // 2)
                view[: panel.shape[0], -panel.shape[1] :] = panel
            if show:
                cv2.imshow(WINDOW, view)
                key = cv2.waitKey(1) & 0xFF
                if key in (ord("q"), 27):
                    break
                if key == ord("s"):
                    smoothing = not smoothing
                    tracker.set_smoothing(smoothing)
                elif key == ord("e"):
                    editing = not editing
                elif key == ord("r"):
                    tracker.reset()
                    state.moves.clear()
            else:
                sink.write(view)
            now = time.perf_counter()
            fps = 0.9 * fps + 0.1 / (now - last) if fps == fps else 1.0 / (now - last)
            last = now
            if args.max_frames and frame.index + 1 >= args.max_frames:
                break
        if sink is not None:
            sink.close()
            logger.info("wrote %s", args.out)
    if show:
        cv2.destroyAllWindows()


if __name__ == "__main__":
    main()
