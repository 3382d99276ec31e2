"""Live landmark tracking and shape editing from a webcam or a video file.

    python examples/webcam_demo.py ARTIFACT [--source 0|VIDEO] [--loop] [--state state.json] [--out demo.mp4]

ARTIFACT is an `lmsdk export` folder or a shipped model's name: `python examples/webcam_demo.py faces`.

The window shows the frame with the tracked landmarks on the left and, on the right, the decoder's
reconstruction of the tracked crop (top) and the edit (bottom). Drag a landmark with the left mouse button:
the decoder re-renders the face with that landmark moved, and the edit stays with the face as it moves
(edits are kept in pixels of the model's crop, like `lmsdk track --move`). When you let go, the log
prints the edit as `--move` options that apply it to a whole video with `lmsdk track`.

Keys (also listed in the window): s smoothing on/off, e edit panel on/off, r reset tracking and edits,
q or Esc quits (closing the window quits too).

A video file can stand in for the camera (--source clip.mp4; --loop replays it); files play at their own
frame rate. When the camera cannot be opened it falls back to --fallback, or to the bundled real clip
(examples/media) for a shipped model and to a synthetic clip it makes itself for any other. Without a display
it does not open a window (cv2.imshow would abort the process): it says so in one line and writes the
annotated video to --out instead, with a demonstration edit. --state writes what the window shows as JSON after
every frame (landmarks, the edit, where each panel lies in the window), for scripts and tests.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from lmsdk import zoo
from lmsdk.data.clips import ClipSpec, write_clip
from lmsdk.runtime import (
    Box,
    Detector,
    Edit,
    LmsdkError,
    ShapeEditor,
    Tracker,
    TrackerConfig,
    TrackResult,
    VideoError,
    VideoSink,
    VideoSource,
    draw_track,
    has_display,
)

logger = logging.getLogger("webcam_demo")
WINDOW = "lmsdk webcam demo"
KEYS = "drag a point: edit   s smoothing   e edit panel   r reset   q quit"
GRAB_RADIUS = 20  # window pixels: how near a landmark a press must be to grab it
FOOTER = 22  # height of the strip under the frame that lists the keys
DEMO_MOVE = {0: (0.0, -6.0)}  # the edit shown in the video written without a display (crop pixels)


@dataclass(frozen=True)
class Grab:
    """A drag in progress: which landmark, where the button went down, and its move before this drag."""

    index: int
    press: tuple[int, int]  # window pixels
    start: tuple[float, float]  # crop pixels


class EditState:
    """The edit the mouse makes: landmark moves in pixels of the model's S x S crop (as ``lmsdk track --move``).

    A drag moves the grabbed landmark by the mouse's displacement (frame pixels, converted with the current
    crop box), added to any move it already had; pressing near a landmark without dragging changes nothing.
    """

    def __init__(self, crop_size: int, artifact: Path) -> None:
        self.crop_size = crop_size
        self.artifact = artifact
        self.moves: dict[int, tuple[float, float]] = {}
        self.grab: Grab | None = None
        self.points: np.ndarray | None = None  # tracked landmarks of the frame on screen (frame pixels)
        self.box: Box | None = None  # its crop box

    def frame_moves(self) -> dict[int, tuple[float, float]]:
        """The moves in pixels of the frame on screen (empty without a crop box)."""
        if self.box is None:
            return {}
        scale = self.box.width / self.crop_size
        return {k: (dx * scale, dy * scale) for k, (dx, dy) in self.moves.items()}

    def targets(self) -> np.ndarray | None:
        """Where the edit puts each landmark in the frame: the tracked points plus their moves."""
        if self.points is None:
            return None
        targets = self.points.astype(np.float64)
        for k, move in self.frame_moves().items():
            targets[k] += move
        return targets

    def move_options(self) -> str:
        """The edit as ``lmsdk track`` options."""
        return " ".join(f"--move {k}:{dx:.1f},{dy:.1f}" for k, (dx, dy) in sorted(self.moves.items()))

    def on_mouse(self, event: int, x: int, y: int, flags: int, param: object) -> None:
        """OpenCV mouse callback (window pixels; the frame is drawn at the window's top-left corner)."""
        if event == cv2.EVENT_LBUTTONDOWN:
            targets = self.targets()
            if targets is None or self.box is None or not np.isfinite(targets).all(axis=1).any():
                return
            distances = np.linalg.norm(targets - np.array([x, y]), axis=1)
            nearest = int(np.nanargmin(distances))
            if distances[nearest] <= GRAB_RADIUS:
                self.grab = Grab(nearest, (x, y), self.moves.get(nearest, (0.0, 0.0)))
        elif event == cv2.EVENT_MOUSEMOVE and self.grab is not None:
            self._drag_to(x, y)
        elif event == cv2.EVENT_LBUTTONUP and self.grab is not None:
            self._drag_to(x, y)
            dx, dy = self.moves[self.grab.index]
            logger.info(
                "edit: landmark %d moved by (%+.1f, %+.1f) px of the crop; for a whole video: lmsdk track %s VIDEO %s",
                self.grab.index,
                dx,
                dy,
                self.artifact,
                self.move_options(),
            )
            self.grab = None

    def _drag_to(self, x: int, y: int) -> None:
        if self.grab is None or self.box is None:
            return
        scale = self.crop_size / self.box.width
        (px, py), (sx, sy) = self.grab.press, self.grab.start
        self.moves[self.grab.index] = (sx + (x - px) * scale, sy + (y - py) * scale)


@dataclass(frozen=True)
class Layout:
    """Where things lie in the window, as (x, y, width, height) window pixels."""

    frame: tuple[int, int, int, int]
    reconstruction: tuple[int, int, int, int]
    edit: tuple[int, int, int, int]
    size: tuple[int, int]  # the whole window (width, height)

    @classmethod
    def for_frame(cls, width: int, height: int) -> Layout:
        side = height // 2
        return cls(
            (0, 0, width, height), (width, 0, side, side), (width, side, side, side), (width + side, height + FOOTER)
        )


SAMPLE_CLIP = Path(__file__).resolve().parent / "media" / "talking_face.mp4"  # a real face (LivePortrait, MIT)


def open_source(source: str, fallback: str | None, workdir: Path, shipped: bool = False) -> VideoSource:
    """The camera or video file ``source``; when it cannot be opened, the fallback video, else the bundled real
    clip for a ``shipped`` model, else a synthetic clip."""
    try:
        return VideoSource(source)
    except VideoError as exc:
        logger.warning("%s; falling back to a video file", exc)
    if fallback is None and shipped and SAMPLE_CLIP.is_file():
        fallback = str(SAMPLE_CLIP)
        logger.info("playing the bundled real clip: %s", fallback)
    if fallback is None:
        fallback = str(workdir / "synthetic_face.avi")
        write_clip(fallback, ClipSpec(frames=180, motion="drift"))
        logger.info("made a synthetic clip: %s", fallback)
    return VideoSource(fallback)


def frames(video: VideoSource, loop: bool) -> Iterator[tuple[np.ndarray, float | None]]:
    """``(image, timestamp)`` of every frame: the file's clock (continued across replays with ``loop``), or
    None for a camera (the tracker's monotonic clock)."""
    offset, last = 0.0, 0.0
    while True:
        for frame in video:
            last = offset + frame.timestamp
            yield frame.image, None if video.is_camera else last
        if not loop or video.is_camera or video.frames_read == 0:
            return
        offset = last + 1.0 / video.fps
        video.capture.set(cv2.CAP_PROP_POS_FRAMES, 0)


def compose(frame: np.ndarray, result: TrackResult, state: EditState, edit: Edit | None, fps: float) -> np.ndarray:
    """The window's image: the frame with landmarks and moves, the reconstruction | edit panel, the keys."""
    h, w = frame.shape[:2]
    layout = Layout.for_frame(w, h)
    view = np.full((layout.size[1], layout.size[0], 3), 40, np.uint8)
    view[:h, :w] = draw_track(frame, result, fps)
    targets = state.targets()
    if targets is not None:
        for k in state.moves:
            start, end = result.points[k], targets[k]
            if np.isfinite(start).all() and np.isfinite(end).all():
                a, b = tuple(int(v) for v in np.round(start)), tuple(int(v) for v in np.round(end))
                cv2.arrowedLine(view, a, b, (255, 255, 255), 1, cv2.LINE_AA, tipLength=0.3)
                cv2.circle(view, b, 4, (0, 255, 255), 1, cv2.LINE_AA)
    side = layout.edit[2]
    for (x, y, _, _), image, label in (
        (layout.reconstruction, None if edit is None else edit.reconstruction, "reconstruction"),
        (layout.edit, None if edit is None else edit.image, "edit"),
    ):
        if image is not None:
            view[y : y + side, x : x + side] = cv2.resize(image, (side, side), interpolation=cv2.INTER_CUBIC)
        cv2.putText(view, label, (x + 4, y + side - 6), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (255, 255, 255), 1, cv2.LINE_AA)
    cv2.putText(view, KEYS, (6, h + FOOTER - 7), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (230, 230, 230), 1, cv2.LINE_AA)
    return view


def write_state(
    path: Path, result: TrackResult, state: EditState, edit: Edit | None, layout: Layout, flags: dict[str, bool]
) -> None:
    """What the window shows, as JSON (replaced atomically, so a reader never sees half a file)."""

    def points(values: np.ndarray | None) -> list[list[float | None]] | None:
        if values is None:
            return None
        return [[float(v) if np.isfinite(v) else None for v in p] for p in np.asarray(values, np.float64)]

    edit_points = None
    if edit is not None:
        box = edit.code.box
        origin, size = np.array([box.left, box.top]), np.array([box.width, box.height])
        edit_points = {
            "before": points(origin + edit.code.normalized * size),
            "after": points(origin + edit.landmarks * size),
        }
    record = {
        "frame": result.index,
        "state": result.state.value,
        "found": bool(result.found),
        "landmarks": points(result.points),  # tracked, frame pixels (= window pixels: the frame is at 0, 0)
        "targets": points(state.targets()),  # where the edit puts them
        "moves": {str(k): list(v) for k, v in sorted(state.moves.items())},  # crop pixels
        "move_options": state.move_options(),
        "grabbed": None if state.grab is None else state.grab.index,
        "edit": edit_points,  # the decoder's input landmarks, before and after the moves (frame pixels)
        "layout": {
            "frame": layout.frame,
            "reconstruction": layout.reconstruction,
            "edit": layout.edit,
            "size": layout.size,
        },
        **flags,
    }
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(record))
    os.replace(tmp, path)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        epilog=f"In the window: {KEYS}.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("artifact", type=Path, help="an `lmsdk export` folder, or a shipped model's name (faces)")
    parser.add_argument("--source", default="0", help="camera index or video file (default: 0, the first camera)")
    parser.add_argument("--loop", action="store_true", help="replay a video file from the start when it ends")
    parser.add_argument("--fallback", default=None, help="video to use when the source cannot be opened")
    parser.add_argument("--out", type=Path, default=Path("webcam_demo.mp4"), help="output when there is no display")
    parser.add_argument("--state", type=Path, default=None, help="write what the window shows (JSON) after every frame")
    parser.add_argument("--max-frames", type=int, default=0, help="stop after this many frames (0: until the end or q)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the demo; 0 on a normal end (the video ended, q, Esc, the window closed), 1 on an lmsdk error."""
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        run(args)
    except LmsdkError as exc:
        logger.error("%s", exc)
        return 1
    return 0


def run(args: argparse.Namespace) -> None:
    detector = Detector.for_tracking(args.artifact)  # the distilled tracker graph where the artifact has one
    editor = ShapeEditor(args.artifact)
    tracker = Tracker(detector, TrackerConfig())
    state = EditState(editor.size, args.artifact)
    shipped = zoo.ZOO_DIR in zoo.resolve(args.artifact).resolve().parents
    show = has_display()
    if not show:
        logger.info("no display: writing %s instead of opening a window (with a demonstration edit)", args.out)
        state.moves = dict(DEMO_MOVE)
        if args.loop and not args.max_frames:
            logger.warning("--loop without a window or --max-frames would write forever: playing the video once")
            args.loop = False
    smoothing, editing = True, True
    with tempfile.TemporaryDirectory() as tmp, open_source(args.source, args.fallback, Path(tmp), shipped) as video:
        sink = None if show else VideoSink(args.out, video.fps)
        if show:
            cv2.namedWindow(WINDOW, cv2.WINDOW_AUTOSIZE | cv2.WINDOW_GUI_NORMAL)  # no toolbar: window = image
            cv2.setMouseCallback(WINDOW, state.on_mouse)
        fps, last = float("nan"), time.perf_counter()
        period = 0.0 if video.is_camera or not show else 1.0 / video.fps  # play files at their frame rate
        for count, (image, timestamp) in enumerate(frames(video, args.loop), start=1):
            result = tracker.update(image, timestamp)
            state.points, state.box = result.points, result.box
            edit = None
            if editing and result.found and result.box is not None:
                edit = editor.edit(image, state.frame_moves(), result.box)
            view = compose(image, result, state, edit, fps)
            if args.state is not None:
                layout = Layout.for_frame(image.shape[1], image.shape[0])
                write_state(args.state, result, state, edit, layout, {"smoothing": smoothing, "editing": editing})
            if show:
                cv2.imshow(WINDOW, view)
                wait = period - (time.perf_counter() - last)
                key = cv2.waitKey(max(1, int(1000 * wait))) & 0xFF
                if key in (ord("q"), 27) or cv2.getWindowProperty(WINDOW, cv2.WND_PROP_VISIBLE) < 1:
                    break
                if key == ord("s"):
                    smoothing = not smoothing
                    tracker.set_smoothing(smoothing)
                elif key == ord("e"):
                    editing = not editing
                elif key == ord("r"):
                    tracker.reset()
                    state.moves.clear()
                    state.grab = None
            else:
                sink.write(view)
            now = time.perf_counter()
            fps = 0.9 * fps + 0.1 / (now - last) if fps == fps else 1.0 / (now - last)
            last = now
            if args.max_frames and count >= args.max_frames:
                break
        if sink is not None:
            sink.close()
            logger.info("wrote %s", args.out)
    if show:
        cv2.destroyAllWindows()


if __name__ == "__main__":
    sys.exit(main())
