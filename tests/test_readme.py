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
    assert proc.stdout.count("[") >= 12  # the 10 discovered points and the named one were printed
