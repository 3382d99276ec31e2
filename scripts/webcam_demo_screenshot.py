"""Use examples/webcam_demo.py as a person would, on a virtual screen: drag a landmark, take a screenshot, quit.

    python scripts/webcam_demo_screenshot.py ARTIFACT VIDEO [--out docs/images/webcam_demo.png] [--drag 0,-14]

Starts Xvfb on a free display, runs the demo on VIDEO (a file standing in for the camera, replayed), finds its
window with xdotool, drags the landmark that stands furthest from the others by DX,DY window pixels with the
mouse, saves a screenshot of the window to --out, and quits with the demo's q key. Needs Debian's xvfb and
xdotool (`apt-get install -y xvfb xdotool`). tests/test_webcam_demo.py drives the demo through the same
:class:`VirtualScreen` and :class:`DemoWindow`, with a tiny model and a synthetic clip.

docs/images/webcam_demo.png (shown in docs/tracking.md) was made with a model trained on MTFL and a real clip:

    lmsdk export runs/mtfl --out /tmp/art
    python scripts/webcam_demo_screenshot.py /tmp/art talking_face_1.mp4 --landmark 5 --drag 0,40 \
        --settle 10 --out docs/images/webcam_demo.png
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np
from PIL import Image, ImageGrab

logger = logging.getLogger("webcam_demo_screenshot")
ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "examples" / "webcam_demo.py"
WINDOW = "lmsdk webcam demo"  # the demo's window title
State = dict[str, Any]


class VirtualScreen:
    """An Xvfb server on a display number it picks itself (``-displayfd``), stopped on exit."""

    def __init__(self, size: tuple[int, int] = (1280, 800), timeout: float = 30.0) -> None:
        read, write = os.pipe()
        command = ["Xvfb", "-displayfd", str(write), "-screen", "0", f"{size[0]}x{size[1]}x24", "-nolisten", "tcp"]
        self.process = subprocess.Popen(command, pass_fds=(write,), stderr=subprocess.DEVNULL)
        os.close(write)
        with os.fdopen(read) as pipe:
            number = pipe.readline().strip()  # written once the server accepts connections
        if not number.isdigit():
            self.stop()
            raise RuntimeError(f"Xvfb did not start (exit code {self.process.poll()})")
        self.display = f":{number}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)

    def __enter__(self) -> VirtualScreen:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()


class DemoWindow:
    """examples/webcam_demo.py running on ``video`` (replayed) in ``screen``, with its state file in ``workdir``.

    ``log`` collects what the demo printed (its stdout and stderr).
    """

    def __init__(self, artifact: Path, video: Path, screen: VirtualScreen, workdir: Path) -> None:
        self.screen = screen
        self.env = {**os.environ, "DISPLAY": screen.display}
        self.state_path = workdir / "demo_state.json"
        self.log = workdir / "demo.log"
        command = [sys.executable, str(DEMO), str(artifact), "--source", str(video), "--loop"]
        with self.log.open("w") as log:
            self.process = subprocess.Popen(
                [*command, "--state", str(self.state_path)], env=self.env, stdout=log, stderr=subprocess.STDOUT
            )
        self.window_id: str | None = None

    def state(self) -> State | None:
        """The demo's last state file, or None before the first frame."""
        try:
            return json.loads(self.state_path.read_text())
        except FileNotFoundError:
            return None

    def wait_for(self, condition: Callable[[State], bool], timeout: float = 120.0, what: str = "the demo") -> State:
        """The first state (polled every 50 ms) that meets ``condition``.

        Raises:
            RuntimeError: the demo exited, or ``timeout`` seconds passed first.
        """
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the demo exited ({self.process.returncode}): {self.log.read_text()[-2000:]}")
            state = self.state()
            if state is not None and condition(state):
                return state
            time.sleep(0.05)
        raise RuntimeError(f"timed out after {timeout:.0f} s waiting for {what}: {self.log.read_text()[-2000:]}")

    def xdotool(self, *args: str) -> str:
        return subprocess.run(
            ["xdotool", *args], env=self.env, check=True, capture_output=True, text=True, timeout=30
        ).stdout.strip()

    def find_window(self, timeout: float = 60.0) -> str:
        """The id of the demo's window (``xdotool search --name``), waiting for it to appear."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = subprocess.run(
                ["xdotool", "search", "--onlyvisible", "--name", WINDOW], env=self.env, capture_output=True, text=True
            ).stdout.split()
            if found:
                self.window_id = found[0]
                return self.window_id
            time.sleep(0.2)
        raise RuntimeError(f"no window named {WINDOW!r} appeared within {timeout:.0f} s")

    def geometry(self) -> tuple[int, int, int, int]:
        """The window's x, y, width, height on the screen."""
        values = dict(
            line.split("=", 1) for line in self.xdotool("getwindowgeometry", "--shell", self._window()).splitlines()
        )
        return int(values["X"]), int(values["Y"]), int(values["WIDTH"]), int(values["HEIGHT"])

    def drag(self, start: tuple[float, float], end: tuple[float, float], steps: int = 4) -> None:
        """Press the left button at ``start`` (window pixels), move to ``end`` in ``steps``, release."""
        window = self._window()
        x0, y0 = round(start[0]), round(start[1])
        x1, y1 = round(end[0]), round(end[1])
        self.xdotool(
            "mousemove", "--window", window, str(x0), str(y0), "sleep", "0.3", "mousedown", "1", "sleep", "0.3"
        )
        for i in range(1, steps + 1):
            x, y = round(x0 + (x1 - x0) * i / steps), round(y0 + (y1 - y0) * i / steps)
            self.xdotool("mousemove", "--window", window, str(x), str(y), "sleep", "0.15")
        self.xdotool("mouseup", "1")

    def screenshot(self) -> np.ndarray:
        """The window as the screen shows it, (H, W, 3) uint8 RGB."""
        x, y, w, h = self.geometry()
        return np.asarray(ImageGrab.grab(bbox=(x, y, x + w, y + h), xdisplay=self.screen.display).convert("RGB"))

    def quit(self, timeout: float = 60.0) -> int:
        """Press q in the window (the pointer rests on it, so it has the focus); the demo's exit code."""
        window = self._window()
        _, _, w, h = self.geometry()
        self.xdotool("mousemove", "--window", window, str(w // 2), str(h // 2), "key", "q")
        return self.process.wait(timeout=timeout)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)

    def _window(self) -> str:
        return self.window_id if self.window_id is not None else self.find_window()

    def __enter__(self) -> DemoWindow:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.close()


def ready(state: State) -> bool:
    """The face is tracked and the edit panel is drawn."""
    return bool(state["found"]) and state["edit"] is not None


def loneliest_landmark(state: State) -> int:
    """The tracked landmark furthest from its nearest neighbour (the one a grab cannot mistake)."""
    points = np.array([[np.nan, np.nan] if p[0] is None else p for p in state["landmarks"]], float)
    distances = np.linalg.norm(points[:, None] - points[None], axis=-1)
    np.fill_diagonal(distances, np.inf)
    return int(np.nanargmax(np.nanmin(distances, axis=1)))


def window_point(state: State, k: int) -> tuple[float, float]:
    """Where landmark ``k`` lies in the window (the frame's place in the window plus its frame pixels)."""
    x, y = state["landmarks"][k]
    fx, fy = state["layout"]["frame"][:2]
    return fx + x, fy + y


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("artifact", type=Path, help="an `lmsdk export` directory")
    parser.add_argument("video", type=Path, help="the video that stands in for the camera")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images" / "webcam_demo.png")
    parser.add_argument("--drag", default="0,-14", help="DX,DY: how far to drag the landmark (window pixels)")
    parser.add_argument("--landmark", type=int, default=None, help="which landmark (default: the loneliest)")
    parser.add_argument("--settle", type=int, default=30, help="frames to show before dragging (default: 30)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    dx, dy = (float(v) for v in args.drag.split(","))
    with tempfile.TemporaryDirectory() as tmp, VirtualScreen() as screen:
        with DemoWindow(args.artifact, args.video, screen, Path(tmp)) as demo:
            first = demo.wait_for(ready, what="the face to be tracked")
            demo.find_window()
            settled = demo.wait_for(lambda s: s["frame"] >= first["frame"] + args.settle, what="the video")
            k = loneliest_landmark(settled) if args.landmark is None else args.landmark
            x, y = window_point(settled, k)
            demo.drag((x, y), (x + dx, y + dy))
            done = demo.wait_for(lambda s: s["grabbed"] is None and str(k) in s["moves"], what="the edit")
            demo.wait_for(lambda s: s["frame"] >= done["frame"] + 3, what="the edited frames")
            image = demo.screenshot()
            code = demo.quit()
        logger.info("%s", demo.log.read_text().strip())
    args.out.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(image).save(args.out, optimize=True)
    logger.info("landmark %d dragged by (%+.0f, %+.0f); the demo exited with %d; wrote %s", k, dx, dy, code, args.out)
    return code


if __name__ == "__main__":
    sys.exit(main())
