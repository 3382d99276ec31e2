"""The README's runtime example works as written."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import cv2

from lmsdk.data import SyntheticFaces

ROOT = Path(__file__).resolve().parents[1]


def test_readme_runtime_example_runs_as_written(learned_artifact, tmp_path):
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", readme, re.S)
    example = next(b for b in blocks if "Detector(" in b)
    assert len(example.strip().splitlines()) <= 6
    shutil.copytree(learned_artifact, tmp_path / "runs" / "quickstart" / "artifact")
    cv2.imwrite(str(tmp_path / "face.jpg"), SyntheticFaces(120, 1, seed=3).image(0)[:, :, ::-1])
    proc = subprocess.run([sys.executable, "-c", example], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "[[" in proc.stdout  # the points were printed
