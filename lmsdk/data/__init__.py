"""Datasets: the built-in synthetic faces, image folders, landmark lists; all yield square RGB crops.

See :mod:`lmsdk.data.base` for the interface (images as ``(S, S, 3)`` uint8 RGB, keypoints as
normalised crop coordinates).
"""

from lmsdk.data.base import CachedSource, ImageSource, Subset
from lmsdk.data.cats import CatHeads
from lmsdk.data.faces import AflwRecropped, CelebA
from lmsdk.data.folder import ImageFolder
from lmsdk.data.labels import LabelledImages, read_labels_csv, write_labels_csv
from lmsdk.data.mnist import MnistDigits, read_idx
from lmsdk.data.mtfl import MtflList
from lmsdk.data.sources import FORMATS, DataConfig, detect_format, open_labelled, open_source
from lmsdk.data.synthetic import FaceParams, SyntheticFaces, render_face, sample_face
from lmsdk.data.video import VideoFrames

__all__ = [
    "FORMATS",
    "AflwRecropped",
    "CachedSource",
    "CatHeads",
    "CelebA",
    "DataConfig",
    "FaceParams",
    "ImageFolder",
    "ImageSource",
    "LabelledImages",
    "MnistDigits",
    "MtflList",
    "Subset",
    "SyntheticFaces",
    "VideoFrames",
    "detect_format",
    "open_labelled",
    "open_source",
    "read_idx",
    "read_labels_csv",
    "render_face",
    "sample_face",
    "write_labels_csv",
]
