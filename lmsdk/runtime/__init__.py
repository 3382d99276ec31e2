"""The torch-free runtime: numpy + onnxruntime (+ TensorRT when asked for), OpenCV images in and out.

    from lmsdk.runtime import Detector
    det = Detector("artifacts/faces")       # an `lmsdk export` directory
    res = det(cv2.imread("face.jpg"))       # BGR uint8, any size -> Landmarks
    res.points                              # (K, 2) float32 (x, y) pixels of that image

Images at this boundary are OpenCV BGR uint8 (the colour rule: :mod:`lmsdk.geometry`); bad arguments raise
one-line :mod:`lmsdk.errors` (``ImageError``, ``InputError``, ``ArtifactError``, ...). ``Box`` and the video
classes live below both training and deployment (:mod:`lmsdk.geometry`, :mod:`lmsdk.video`) and are
re-exported here. Importing this package never imports torch (tested).
"""

from lmsdk.errors import (
    ArtifactError,
    BackendUnavailableError,
    EngineIncompatibleError,
    ImageError,
    InputError,
    LmsdkError,
    VideoError,
)
from lmsdk.geometry import Box
from lmsdk.runtime.artifact import Artifact
from lmsdk.runtime.backends import Backend, open_backend
from lmsdk.runtime.codec import Code, Decoder, Encoder
from lmsdk.runtime.detector import Detector, Landmarks
from lmsdk.runtime.devices import cuda_device_count, gpu_names
from lmsdk.runtime.editor import Edit, ShapeEditor
from lmsdk.runtime.filters import OneEuroFilter, SmoothingConfig
from lmsdk.runtime.generator import Generation, Generator
from lmsdk.runtime.overlay import draw_track
from lmsdk.runtime.tracking import Tracker, TrackerConfig, TrackResult, TrackState
from lmsdk.video import Frame, VideoSink, VideoSource, has_display

__all__ = [
    "Artifact",
    "ArtifactError",
    "Backend",
    "BackendUnavailableError",
    "Box",
    "Code",
    "Decoder",
    "Detector",
    "Edit",
    "Encoder",
    "EngineIncompatibleError",
    "Frame",
    "Generation",
    "Generator",
    "ImageError",
    "InputError",
    "Landmarks",
    "LmsdkError",
    "OneEuroFilter",
    "ShapeEditor",
    "SmoothingConfig",
    "TrackResult",
    "TrackState",
    "Tracker",
    "TrackerConfig",
    "VideoError",
    "VideoSink",
    "VideoSource",
    "cuda_device_count",
    "draw_track",
    "gpu_names",
    "has_display",
    "open_backend",
]
