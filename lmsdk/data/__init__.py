"""Datasets: the built-in synthetic faces, image folders, landmark lists; all yield square RGB crops.

See :mod:`lmsdk.data.base` for the interface (images as ``(S, S, 3)`` uint8 RGB, keypoints as
normalised crop coordinates).
"""

from lmsdk.data.base import CachedSource, ImageSource, Subset
from lmsdk.data.folder import ImageFolder
from lmsdk.data.mtfl import MtflList
from lmsdk.data.sources import FORMATS, DataConfig, detect_format, open_source
from lmsdk.data.synthetic import FaceParams, SyntheticFaces, render_face, sample_face

__all__ = [
    "FORMATS",
    "CachedSource",
    "DataConfig",
    "FaceParams",
    "ImageFolder",
    "ImageSource",
    "MtflList",
    "Subset",
    "SyntheticFaces",
    "detect_format",
    "open_source",
    "render_face",
    "sample_face",
]
