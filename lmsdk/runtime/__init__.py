"""The torch-free runtime: numpy + onnxruntime (+ TensorRT when asked for), OpenCV images in and out.

    from lmsdk.runtime import Detector
    det = Detector("artifacts/faces")       # an `lmsdk export` directory
    res = det(cv2.imread("face.jpg"))       # BGR uint8, any size -> Landmarks
    res.points                              # (K, 2) float32 (x, y) pixels of that image

Importing this package never imports torch (tested).
"""

from lmsdk.runtime.artifact import Artifact
from lmsdk.runtime.backends import Backend, cuda_device_count, open_backend
from lmsdk.runtime.codec import Code, Decoder, Encoder
from lmsdk.runtime.detector import Detector, Landmarks
from lmsdk.runtime.editor import Edit, ShapeEditor
from lmsdk.runtime.errors import ArtifactError, BackendUnavailableError, EngineIncompatibleError
from lmsdk.runtime.filters import OneEuroFilter, SmoothingConfig
from lmsdk.runtime.geometry import Box
from lmsdk.runtime.pipeline import TrackSummary, draw_track, track_video
from lmsdk.runtime.tracking import Tracker, TrackerConfig, TrackResult, TrackState
from lmsdk.runtime.video import VideoError, VideoSink, VideoSource, has_display

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
    "Landmarks",
    "OneEuroFilter",
    "ShapeEditor",
    "SmoothingConfig",
    "TrackResult",
    "TrackState",
    "TrackSummary",
    "Tracker",
    "TrackerConfig",
    "VideoError",
    "VideoSink",
    "VideoSource",
    "cuda_device_count",
    "draw_track",
    "has_display",
    "open_backend",
    "track_video",
]
