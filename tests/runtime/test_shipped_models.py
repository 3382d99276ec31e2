"""The models that ship inside lmsdk: each opens through the torch-free runtime, every graph gives the outputs
recorded when it was exported, and the named points of ``faces`` fall on the real face of the sample clip."""

import csv
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from lmsdk.runtime import Artifact, Detector, Tracker, TrackerConfig, VideoSource
from lmsdk.runtime.selfcheck import check_reference
from lmsdk.runtime.tracking import with_smoothing
from lmsdk.zoo import shipped_models, shipped_names

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "examples" / "media" / "talking_face.mp4"
NAMES = ("left_eye", "right_eye", "nose", "mouth_left", "mouth_right")
# Hand-annotated (x, y) pixels of the five points on four frames of the 512 x 512 sample clip (eye centres,
# nose tip, mouth corners; image-left first), read off a 64 px grid to about 8 px; the eyes are ~135 px apart.
ANNOTATED = {
    0: [(205, 250), (340, 250), (275, 335), (220, 400), (320, 398)],
    120: [(208, 300), (353, 300), (278, 375), (223, 435), (318, 435)],
    240: [(210, 318), (350, 318), (285, 388), (225, 453), (330, 453)],
    340: [(223, 233), (358, 233), (288, 298), (258, 373), (338, 373)],
}
# A named point "falls on the face" within this fraction of the inter-ocular distance of where a person put it
# (a nose found on the mouth is 0.5 away, one on an eye 0.7; docs/testing.md gives what the model reaches).
ON_THE_FACE = 0.3


def test_faces_ships_with_its_card_and_licence():
    assert "faces" in shipped_names()
    (faces,) = [m for m in shipped_models() if m.name == "faces"]
    assert faces.num_landmarks == 30 and faces.named_points == NAMES
    assert {"detector fp32", "tracker fp32", "tracker int8"} <= set(faces.variants)
    assert "non-commercial" in faces.license
    card = (faces.path / "MODEL_CARD.md").read_text()
    assert "MTFL" in card and "non-commercial" in card and "scripts/build_models.sh" in card


@pytest.mark.parametrize("name", shipped_names())
def test_every_graph_gives_the_outputs_recorded_at_export(name):
    checks = check_reference(name)
    manifest = Artifact(name).manifest
    onnx_graphs = {k for k in manifest.files if not k.endswith(".trt")}
    assert {c.graph for c in checks} == onnx_graphs - {"prior"}  # the prior's input is noise: no record
    assert all(c.ok for c in checks), [c for c in checks if not c.ok]
    assert manifest.source["commit"] and "lmsdk export" in manifest.source["command"]


def _track_sample(detector: Detector) -> dict[int, np.ndarray]:
    """The named points, unsmoothed, of the annotated frames when ``detector`` tracks the sample clip."""
    tracker = Tracker(detector, with_smoothing(TrackerConfig(), False))
    found = {}
    with VideoSource(SAMPLE) as video:
        for frame in video:
            result = tracker.update(frame.image, frame.timestamp)
            if frame.index in ANNOTATED:
                assert result.found, f"lost the face at frame {frame.index}"
                found[frame.index] = result.named
    return found


@pytest.mark.parametrize("graph", ["tracker", "detector"])
def test_named_points_fall_on_the_face_of_the_sample_clip(graph):
    detector = Detector.for_tracking("faces") if graph == "tracker" else Detector("faces")
    assert detector.graph == graph
    found = _track_sample(detector)
    for index, points in found.items():
        truth = np.asarray(ANNOTATED[index], np.float64)
        inter_ocular = np.linalg.norm(truth[1] - truth[0])
        error = np.linalg.norm(points - truth, axis=1) / inter_ocular
        assert error.max() < ON_THE_FACE, f"frame {index}: {dict(zip(NAMES, error.round(3), strict=True))}"


def test_track_faces_runs_without_torch(tmp_path):
    """`lmsdk track faces CLIP --csv out.csv` on an install without torch (torch made unimportable here)."""
    out = tmp_path / "points.csv"
    code = (
        "import sys; sys.modules['torch'] = None\n"
        "from lmsdk.cli import run\n"
        f"raise SystemExit(run(['track', 'faces', {str(SAMPLE)!r}, '--csv', {str(out)!r}]))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    rows = list(csv.reader(out.open()))
    assert rows[0][-10:] == [f"{n}_{a}" for n in NAMES for a in ("x", "y")]
    assert len(rows) == 1 + 354 and sum(r[2] == "tracking" for r in rows[1:]) >= 350


@pytest.fixture(scope="module")
def sample_frame(tmp_path_factory) -> Path:
    """Frame 0 of the sample clip as a file, as a user's photo would be."""
    import cv2

    with VideoSource(SAMPLE) as video:
        frame = next(iter(video)).image
    path = tmp_path_factory.mktemp("frames") / "face.png"
    cv2.imwrite(str(path), frame)
    return path


def test_an_edit_of_faces_moves_the_redetected_landmark_on_real_faces():
    """The paper's shape control on the sample clip's faces, framed as MTFL frames its crops (3.56 eye distances
    around the five annotated points): each landmark moved 4 px and re-decoded, the model's own detector finds it
    moved along the edit (a decoder that ignores the landmarks scores 0; the shipped K = 30 model 0.11, across
    0.05, and 0.76 of a shift of all of them, where the K = 10 one drew 0.30 of a single move; docs/testing.md)."""
    from lmsdk.eval.editing import RuntimeEditModel, measure_edits
    from lmsdk.geometry import Box, crop_resize
    from lmsdk.runtime import ShapeEditor

    editor = ShapeEditor("faces")
    crops = []
    with VideoSource(SAMPLE) as video:
        for frame in video:
            if frame.index in ANNOTATED:
                points = np.asarray(ANNOTATED[frame.index], np.float64)
                side = 3.56 * np.linalg.norm(points[1] - points[0])
                crops.append(crop_resize(frame.image, Box.around(*points.mean(0), side), editor.size))
    (single,), (translation,), _ = measure_edits(RuntimeEditModel(editor, Detector("faces")), crops, (4.0,))
    assert single.along > 0.07 and single.across < 0.6 * single.along, single
    assert translation.along > 0.5, translation


def test_edit_and_generate_take_the_shipped_name(sample_frame, tmp_path):
    """`lmsdk edit faces ...` moves the nose and re-decodes; `lmsdk generate faces --like ...` draws new faces."""
    import cv2

    from lmsdk.cli import run as cli

    assert cli(["edit", "faces", str(sample_frame), "--move", "2:0,-40", "--out", str(tmp_path / "edited.png")]) == 0
    edited = cv2.imread(str(tmp_path / "edited.png"))
    assert edited is not None and edited.shape == (64, 64, 3) and edited.std() > 10  # a face, not a flat image
    assert cli(["generate", "faces", "--like", str(sample_frame), "--n", "2", "--out", str(tmp_path / "gen")]) == 0
    drawn = sorted((tmp_path / "gen").glob("generated_*.png"))
    assert len(drawn) == 2
    a, b = (cv2.imread(str(p)).astype(np.float32) for p in drawn)
    assert np.abs(a - b).mean() > 1.0  # two different faces
