"""The webcam demo used as a person would: a window on a virtual screen (Xvfb), a video file as the camera, a
mouse drag (xdotool) that moves a landmark, a screenshot, and the quit key.

The driving code is scripts/webcam_demo_screenshot.py's (which also makes the README's screenshot with a real
model); here it runs the tiny learned model on a synthetic still clip.
"""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
from PIL import Image

from lmsdk.data.clips import ClipSpec, write_clip

ROOT = Path(__file__).resolve().parents[1]
DRAG = (7.0, -9.0)  # window pixels

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not (shutil.which("Xvfb") and shutil.which("xdotool")),
        reason="needs Xvfb and xdotool (Debian: apt-get install -y xvfb xdotool)",
    ),
]


def _driver() -> ModuleType:
    spec = importlib.util.spec_from_file_location("webcam_demo_screenshot", ROOT / "scripts/webcam_demo_screenshot.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _panel(image: np.ndarray, box: list[int]) -> np.ndarray:
    """A panel of the window without its label (the bottom 20 rows)."""
    x, y, w, h = box
    return image[y : y + h - 20, x : x + w].astype(float)


def test_dragging_a_landmark_in_the_window_edits_it(learned_artifact: Path, tmp_path: Path) -> None:
    driver = _driver()
    clip = tmp_path / "face.avi"
    write_clip(clip, ClipSpec(width=480, height=360, frames=30, motion="still"))
    with driver.VirtualScreen() as screen, driver.DemoWindow(learned_artifact, clip, screen, tmp_path) as demo:
        first = demo.wait_for(driver.ready, what="the face to be tracked")
        demo.find_window()
        before = demo.wait_for(lambda s: s["frame"] >= first["frame"] + 10, what="the tracker to settle")
        layout = before["layout"]
        assert demo.geometry()[2:] == tuple(layout["size"])  # the window shows the demo's image unscaled
        shot_before = demo.screenshot()
        assert before["moves"] == {} and before["edit"]["before"] == before["edit"]["after"]

        k = driver.loneliest_landmark(before)
        x, y = driver.window_point(before, k)
        demo.drag((x, y), (x + DRAG[0], y + DRAG[1]))
        done = demo.wait_for(lambda s: s["grabbed"] is None and str(k) in s["moves"], what="the edit")
        after = demo.wait_for(lambda s: s["frame"] >= done["frame"] + 3, what="the edited frames")
        shot_after = demo.screenshot()
        Image.fromarray(shot_after).save(tmp_path / "webcam_demo.png")
        code = demo.quit()
        log = demo.log.read_text()

    assert code == 0, log
    assert list(after["moves"]) == [str(k)], after["moves"]
    # the decoder's input: landmark k moved by the drag (in frame pixels), the others not at all
    shift = np.array(after["edit"]["after"]) - np.array(after["edit"]["before"])
    np.testing.assert_allclose(shift[k], DRAG, atol=1.5)
    others = np.delete(shift, k, axis=0)
    assert np.abs(others).max() < 0.05 * np.hypot(*DRAG), shift
    # the marker of the edit sits where the mouse let go
    target = np.array(after["targets"][k]) - np.array(after["landmarks"][k])
    np.testing.assert_allclose(target, DRAG, atol=1.5)
    # the window changed: the edit's arrow and marker appear where the mouse let go ...
    tx, ty = (round(v) for v in np.array(after["landmarks"][k]) + DRAG)
    near_target = np.abs(shot_after.astype(float) - shot_before)[ty - 6 : ty + 7, tx - 6 : tx + 7]
    assert near_target.max() > 100, near_target.max()
    # ... and the edit panel, equal to the reconstruction before the drag, differs from it after
    same = np.abs(_panel(shot_before, layout["edit"]) - _panel(shot_before, layout["reconstruction"])).max()
    differs = np.abs(_panel(shot_after, layout["edit"]) - _panel(shot_after, layout["reconstruction"])).max()
    assert same == 0 and differs > 0, (same, differs)
    assert f"edit: landmark {k} moved" in log and "--move" in log, log
