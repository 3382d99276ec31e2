"""The README's runtime example works as written."""

import re
import subprocess
import sys
from pathlib import Path

import cv2

ROOT = Path(__file__).resolve().parents[1]


def test_readme_runtime_example_runs_as_written(tmp_path):
    """The example runs the shipped model on a frame of the bundled clip and prints its points."""
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", readme, re.S)
    example = next(b for b in blocks if "Detector(" in b)
    assert len(example.strip().splitlines()) <= 6
    capture = cv2.VideoCapture(str(ROOT / "examples" / "media" / "talking_face.mp4"))
    ok, frame = capture.read()
    capture.release()
    assert ok
    cv2.imwrite(str(tmp_path / "face.jpg"), frame)
    proc = subprocess.run([sys.executable, "-c", example], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    numbers = [float(v) for v in re.findall(r"-?\d+(?:\.\d*)?(?:e[-+]?\d+)?", proc.stdout)]
    assert len(numbers) == 2 * 30 + 2, proc.stdout  # the 30 discovered points, then the named one
    height, width = frame.shape[:2]
    assert all(0 <= x <= width for x in numbers[0::2]) and all(0 <= y <= height for y in numbers[1::2])
    # the left eye where a person put it on this frame (tests/runtime/test_shipped_models.py: (205, 250), the eyes
    # 135 px apart), within 0.3 of that distance
    assert abs(numbers[-2] - 205) < 40 and abs(numbers[-1] - 250) < 40, proc.stdout
