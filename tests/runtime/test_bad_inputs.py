"""Bad input through the runtime API: each kind raises its specific lmsdk error with a one-line message that
says what is wrong (never a raw TypeError, IndexError, cv2.error or onnxruntime exception, never NaN points)."""

import json
import shutil

import numpy as np
import pytest

from lmsdk.errors import ArtifactError, BackendUnavailableError, ConfigError, ImageError, InputError, OutputError
from lmsdk.runtime import (
    Box,
    Decoder,
    Detector,
    Encoder,
    ShapeEditor,
    SmoothingConfig,
    Tracker,
    TrackerConfig,
    VideoSink,
    VideoSource,
)
from lmsdk.spec import sha256_file

GOOD = np.full((40, 50, 3), 128, np.uint8)


def one_line(excinfo: pytest.ExceptionInfo, pattern: str) -> None:
    message = str(excinfo.value)
    assert "\n" not in message and excinfo.match(pattern), message


@pytest.fixture(scope="module")
def detector(artifact):
    return Detector(artifact)


@pytest.fixture(scope="module")
def editor(artifact):
    return ShapeEditor(artifact)


IMAGES = [
    ("none", None, "is None .*cv2.imread"),
    ("path-string", "face.jpg", "str 'face.jpg', not an image array"),
    ("bytes", b"\x89PNG", "not an image array"),
    ("an-int", 7, "a int; expected"),
    ("1-d", np.zeros(30, np.uint8), r"shape \(30,\)"),
    ("two-channels", np.zeros((8, 8, 2), np.uint8), r"shape \(8, 8, 2\)"),
    ("five-d", np.zeros((1, 1, 8, 8, 3), np.uint8), r"shape \(1, 1, 8, 8, 3\)"),
    ("0x0", np.zeros((0, 0, 3), np.uint8), "empty"),
    ("0-rows", np.zeros((0, 10, 3), np.uint8), "empty"),
    ("float32", np.zeros((8, 8, 3), np.float32), "float32 .*uint8"),
    ("float64-0-255", np.full((8, 8, 3), 200.0), "float64 .*uint8"),
    ("uint16", np.zeros((8, 8, 3), np.uint16), "uint16"),
    ("bool", np.zeros((8, 8, 3), bool), "bool"),
    ("object", np.empty((8, 8, 3), object), "object"),
]


@pytest.mark.parametrize("image", [c[1] for c in IMAGES], ids=[c[0] for c in IMAGES])
def test_detector_refuses_what_is_not_an_image(detector, image):
    pattern = next(p for _, i, p in IMAGES if i is image)
    with pytest.raises(ImageError) as excinfo:
        detector(image)
    one_line(excinfo, pattern)


def test_a_bad_image_in_a_batch_is_named_by_its_index(detector):
    with pytest.raises(ImageError, match=r"images\[1\] is None"):
        detector.batch([GOOD, None])


def test_a_batch_passed_as_one_image_points_to_batch(detector):
    for several in ([GOOD, GOOD], np.stack([GOOD, GOOD])):
        with pytest.raises(InputError, match=r"pass one image, or use Detector\.batch"):
            detector(several)


BOXES = [
    ("zero-width", lambda: Box(0, 0, 0, 10), "positive width"),
    ("negative-height", lambda: Box(0, 0, 10, -1), "positive width"),
    ("nan", lambda: Box(float("nan"), 0, 10, 10), "finite"),
    ("inf", lambda: Box(0, 0, float("inf"), 10), "finite"),
    ("string", lambda: Box("0", 0, 10, 10), "finite"),
    ("scaled-to-zero", lambda: Box(0, 0, 10, 10).scaled(0.0), "positive width"),
]


@pytest.mark.parametrize("make", [c[1] for c in BOXES], ids=[c[0] for c in BOXES])
def test_a_box_without_area_or_with_nan_is_refused(make):
    pattern = next(p for _, m, p in BOXES if m is make)
    with pytest.raises(InputError) as excinfo:
        make()
    one_line(excinfo, pattern)


def test_boxes_must_be_boxes_and_match_the_batch(detector):
    with pytest.raises(InputError, match="pass an lmsdk Box"):
        detector(GOOD, box=(0, 0, 10, 10))
    with pytest.raises(InputError, match="2 boxes for 3 images"):
        detector.batch([GOOD] * 3, [Box(0, 0, 10, 10)] * 2)


@pytest.mark.parametrize(
    ("box", "overlaps"),
    [
        (Box(-10, -10, 10, 10), False),  # touches the top-left corner from outside
        (Box(50, 10, 5, 5), False),  # right
        (Box(10, 40, 5, 5), False),  # below
        (Box(-5, 10, 5, 5), False),  # left
        (Box(10, -5, 5, 5), False),  # above
        (Box(-10, -10, 10.5, 10.5), True),  # half a pixel of the corner
        (Box(49.9, 39.9, 100, 100), True),
        (Box(-100, -100, 300, 300), True),  # the whole image inside the box
    ],
)
def test_box_overlaps_a_50_by_40_image(box, overlaps):
    assert box.overlaps(50, 40) is overlaps


def test_a_box_wholly_outside_its_image_is_refused_everywhere_a_box_meets_an_image(artifact, detector, editor):
    """GOOD is 50 x 40: a box touching its edge from outside holds no pixel of it; one pixel inside is enough."""
    beyond, above = Box(50, 0, 20, 20), Box(10, -20, 20, 20)
    for call, pattern in [
        (lambda: detector(GOOD, beyond), r"box \(50, 0\)-\(70, 20\) lies wholly outside the 50x40 image"),
        (lambda: detector.batch([GOOD, GOOD], [Box(0, 0, 9, 9), above]), r"boxes\[1\] .* wholly outside"),
        (lambda: detector.detect_boxes(GOOD, [Box(0, 0, 9, 9), beyond]), r"boxes\[1\] .* wholly outside"),
        (lambda: Encoder(artifact)(GOOD, above), "wholly outside the 50x40 image"),
        (lambda: editor.edit(GOOD, {0: (1.0, 0.0)}, beyond), "wholly outside"),
        (lambda: editor.edit_frame(GOOD, above, {0: (1.0, 0.0)}), "wholly outside"),
        (lambda: editor.morph(GOOD, GOOD, 2, box_b=beyond), r"box_b \(50, 0\)"),
        (lambda: editor.paste(GOOD, GOOD, Box(-30, 5, 30, 10)), "wholly outside"),
    ]:
        with pytest.raises(InputError) as excinfo:
            call()
        one_line(excinfo, pattern)
    assert detector(GOOD, Box(49, 39, 20, 20)).box == Box(49, 39, 20, 20)  # one pixel of the image is enough


def test_encoder_and_decoder_check_their_inputs(artifact):
    encoder, decoder = Encoder(artifact), Decoder(artifact)
    with pytest.raises(ImageError, match="is None"):
        encoder(None)
    code = encoder(GOOD)
    k = len(code.normalized)
    cases = [
        ((np.zeros((k + 1, 2)), code.descriptors), r"shape \(\d+, 2\); expected"),
        ((np.full((k, 2), np.nan), code.descriptors), "NaN or infinite"),
        ((code.normalized, None), "pass the descriptors"),
        ((code.normalized, code.descriptors[:-1]), "descriptors has shape"),
        ((np.zeros((0, k, 2)), code.descriptors), "shape"),
        ((np.stack([code.normalized] * 2), code.descriptors[None]), "2 landmark sets but 1 descriptor"),
        (("points", code.descriptors), "landmarks is str"),
    ]
    for args, pattern in cases:
        with pytest.raises(InputError) as excinfo:
            decoder(*args)
        one_line(excinfo, pattern)


MOVES = [
    ("index-99", {99: (1.0, 0.0)}, "landmark 99 does not exist"),
    ("index-minus-1", {-1: (1.0, 0.0)}, "landmark -1 does not exist"),
    ("index-string", {"3": (1.0, 0.0)}, "indices are integers"),
    ("index-bool", {True: (1.0, 0.0)}, "indices are integers"),
    ("shift-nan", {0: (float("nan"), 0.0)}, "must be finite"),
    ("shift-inf", {0: (0.0, float("-inf"))}, "must be finite"),
    ("shift-one-number", {0: 3.0}, "two numbers"),
    ("shift-three-numbers", {0: (1, 2, 3)}, "two numbers"),
    ("not-a-mapping", [(0, (1.0, 0.0))], "pass a dict"),
]


@pytest.mark.parametrize("moves", [c[1] for c in MOVES], ids=[c[0] for c in MOVES])
def test_shape_editor_refuses_bad_moves(editor, moves):
    pattern = next(p for _, m, p in MOVES if m is moves)
    with pytest.raises(InputError) as excinfo:
        editor.edit(GOOD, moves)
    one_line(excinfo, pattern)


@pytest.mark.parametrize(
    ("kwargs", "error", "pattern"),
    [
        ({"steps": 1}, InputError, "at least 2 frames"),
        ({"steps": 0}, InputError, "at least 2 frames"),
        ({"steps": -3}, InputError, "at least 2 frames"),
        ({"steps": 2.5}, InputError, "at least 2 frames"),
        ({"appearance": "nosuch"}, ConfigError, "appearance 'nosuch'"),
        ({"box_a": (0, 0, 5, 5)}, InputError, "box_a"),
    ],
    ids=["steps-1", "steps-0", "steps-minus-3", "steps-fraction", "appearance", "box-a-tuple"],
)
def test_morph_refuses(editor, kwargs, error, pattern):
    with pytest.raises(error) as excinfo:
        editor.morph(GOOD, GOOD, **kwargs)
    one_line(excinfo, pattern)


def test_paste_and_edit_frame_need_a_box(editor):
    with pytest.raises(InputError, match="needs the box"):
        editor.paste(GOOD, GOOD, None)
    with pytest.raises(InputError, match="needs the box"):
        editor.edit_frame(GOOD, None, {0: (1.0, 0.0)})


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [
        ({"min_confidence": 5.0}, "min_confidence 5.0"),
        ({"min_confidence": float("nan")}, "min_confidence nan"),
        ({"relative_confidence": -1.0}, "relative_confidence"),
        ({"redetect_every": -1}, "redetect_every -1"),
        ({"redetect_every": 2.5}, "redetect_every 2.5"),
        ({"search_scales": ()}, "at least one scale"),
        ({"search_stride": 0.0}, "stride"),
        ({"refine_steps": -2}, "refine_steps"),
    ],
    ids=[
        "conf-5",
        "conf-nan",
        "relative-negative",
        "redetect-negative",
        "redetect-fraction",
        "no-scales",
        "stride-0",
        "refine-negative",
    ],
)
def test_tracker_config_refuses(kwargs, pattern):
    with pytest.raises(ConfigError) as excinfo:
        TrackerConfig(**kwargs)
    one_line(excinfo, pattern)


def test_tracker_refuses_bad_arguments_and_frames(detector, artifact):
    with pytest.raises(InputError, match="pass a Detector"):
        Tracker(str(artifact))
    with pytest.raises(ConfigError, match="search 'grid'"):
        Tracker(detector, search="grid")
    with pytest.raises(ConfigError, match="One Euro"):
        SmoothingConfig(min_cutoff=0.0)
    tracker = Tracker(detector)
    with pytest.raises(ImageError, match="frame is None"):
        tracker.update(None, 0.0)
    tracker.update(GOOD, 1.0)
    with pytest.raises(InputError, match="must increase"):
        tracker.update(GOOD, 0.5)
    with pytest.raises(InputError, match="finite"):
        tracker.update(GOOD, float("nan"))
    with pytest.raises(InputError, match="seconds as a number"):
        tracker.update(GOOD, "later")


# -- artifacts: confined to their folder, checked against their graphs ----------------------------------------
def _copy(artifact, tmp_path, edit=None):
    copy = tmp_path / "artifact"
    shutil.copytree(artifact, copy)
    if edit is not None:
        manifest = json.loads((copy / "manifest.json").read_text())
        edit(manifest, copy)
        (copy / "manifest.json").write_text(json.dumps(manifest))
    return copy


def _point_outside(manifest, copy):
    shutil.copy(copy / "detector.onnx", copy.parent / "x.onnx")
    manifest["files"]["detector"]["file"] = "../x.onnx"


def _absolute(manifest, copy):
    manifest["files"]["detector"]["file"] = str((copy / "detector.onnx").resolve())


def _symlink_out(manifest, copy):
    outside = copy.parent / "elsewhere.onnx"
    shutil.move(copy / "detector.onnx", outside)
    (copy / "detector.onnx").symlink_to(outside)


def _landmarks_everywhere(manifest, copy):
    """num_landmarks and every tensor shape say K + 1: self-consistent, but not what the graphs compute."""
    k = manifest["num_landmarks"] + 1
    manifest["num_landmarks"] = k
    for entry in manifest["files"].values():
        for tensor in entry["inputs"] + entry["outputs"]:
            if tensor["name"] in ("landmarks", "confidence"):
                tensor["shape"][1] = k
            if tensor["name"] == "descriptors":
                tensor["shape"][1] = k + 1
    if manifest.get("framing"):
        for name in ("mean", "std"):
            manifest["framing"][name].append(manifest["framing"][name][-1])


def _landmarks_only(manifest, copy):
    manifest["num_landmarks"] += 3


def _corrupt_with_new_hash(manifest, copy):
    (copy / "detector.onnx").write_bytes(b"\x08\x07garbage" * 100)
    manifest["files"]["detector"]["sha256"] = sha256_file(copy / "detector.onnx")


def _crop_size(manifest, copy):
    manifest["input"]["crop_size"] += 8
    for entry in manifest["files"].values():
        for tensor in entry["inputs"] + entry["outputs"]:
            if tensor["name"] == "image":
                tensor["shape"][2:] = [manifest["input"]["crop_size"]] * 2


def _missing_file(manifest, copy):
    (copy / "detector.onnx").unlink()


def _tampered(manifest, copy):
    with (copy / "detector.onnx").open("ab") as f:
        f.write(b"\0")


def _schema(manifest, copy):
    manifest["schema_version"] = 99


def _no_files_key(manifest, copy):
    del manifest["files"]


def _colour(manifest, copy):
    manifest["input"]["color_order"] = "YUV"


def _scale(manifest, copy):
    manifest["input"]["scale"] = 0


def _renamed_tensor(manifest, copy):
    manifest["files"]["detector"]["outputs"][1]["name"] = "scores"


MANIFESTS = [
    ("entry-dotdot", _point_outside, "points outside the artifact directory"),
    ("entry-absolute", _absolute, "points outside the artifact directory"),
    ("entry-symlink-out", _symlink_out, "points outside the artifact directory"),
    ("landmarks-disagree-with-graphs", _landmarks_everywhere, "in the graph but .* in the manifest"),
    ("landmarks-disagree-with-tensors", _landmarks_only, "num_landmarks"),
    ("crop-size-disagrees", _crop_size, "in the graph but .* in the manifest"),
    ("corrupt-onnx-new-hash", _corrupt_with_new_hash, "onnxruntime cannot load this model"),
    ("missing-file", _missing_file, "listed in manifest.json but missing"),
    ("tampered-file", _tampered, "sha256 .* does not match"),
    ("schema-99", _schema, "unknown manifest schema version 99"),
    ("no-files", _no_files_key, "malformed manifest"),
    ("colour-order", _colour, "colour order 'YUV'"),
    ("scale-0", _scale, "impossible input settings"),
    ("renamed-tensor", _renamed_tensor, "tensors .* are not the manifest's"),
]


@pytest.mark.parametrize("edit", [c[1] for c in MANIFESTS], ids=[c[0] for c in MANIFESTS])
def test_artifact_is_refused(artifact, tmp_path, edit):
    pattern = next(p for _, e, p in MANIFESTS if e is edit)
    copy = _copy(artifact, tmp_path, edit)
    with pytest.raises(ArtifactError) as excinfo:
        Detector(copy)
    one_line(excinfo, pattern)


@pytest.mark.parametrize(
    ("content", "pattern"),
    [(None, "manifest not found"), ("{oops", "not valid JSON"), ("[1, 2]", "not a manifest object")],
    ids=["no-manifest", "manifest-not-json", "manifest-a-list"],
)
def test_manifest_file_is_refused(artifact, tmp_path, content, pattern):
    copy = _copy(artifact, tmp_path)
    if content is None:
        (copy / "manifest.json").unlink()
    else:
        (copy / "manifest.json").write_text(content)
    with pytest.raises(ArtifactError, match=pattern):
        ShapeEditor(copy)


@pytest.mark.parametrize(
    ("kwargs", "error", "pattern"),
    [
        ({"precision": "fp8"}, ArtifactError, "unknown precision 'fp8'"),
        ({"threads": 0}, ConfigError, "threads 0"),
        ({"backend": "openvino"}, BackendUnavailableError, "unknown backend"),
        ({"device": "tpu"}, BackendUnavailableError, "unknown device"),
        ({"backend": "tensorrt"}, BackendUnavailableError, "--device cuda"),
    ],
    ids=["precision-fp8", "threads-0", "backend-unknown", "device-unknown", "tensorrt-on-cpu"],
)
def test_open_options_are_checked(artifact, kwargs, error, pattern):
    with pytest.raises(error, match=pattern):
        Detector(artifact, **kwargs)


def test_an_artifact_must_be_a_path():
    with pytest.raises(ArtifactError, match="give the path"):
        Detector(None)


# -- video ----------------------------------------------------------------------------------------------------
def test_video_source_and_sink_refuse_bad_arguments(tmp_path):
    from lmsdk.errors import VideoError

    with pytest.raises(VideoError, match="give a file path or a camera index"):
        VideoSource(None)
    with pytest.raises(VideoError, match="is a folder"):
        VideoSource(tmp_path)
    with pytest.raises(OutputError, match=r"\.avi or \.mp4"):
        VideoSink(tmp_path / "v.mkv", 10)
    with pytest.raises(ConfigError, match="frame rate"):
        VideoSink(tmp_path / "v.avi", 0)
    with VideoSink(tmp_path / "v.avi", 10) as sink:
        sink.write(GOOD)
        with pytest.raises(ImageError, match="frame 1 is 20x40, the video is 50x40"):
            sink.write(GOOD[:, :20])
        with pytest.raises(ImageError, match="float32"):
            sink.write(GOOD.astype(np.float32))
    assert (tmp_path / "v.avi").is_file() and not list(tmp_path.glob(".*tmp*"))
