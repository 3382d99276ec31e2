"""Every exception lmsdk raises on purpose, in one hierarchy (stdlib only, importable from the torch-free runtime).

Every error a user can cause by what they pass in (a file, a flag, an array, a dataset layout) is an
:class:`LmsdkError`. Its message is one line that names the file, option or argument and what is wrong;
the CLI prints it and exits with status 2, without a traceback. Errors about a value a caller passed are
also :class:`ValueError`, so code that catches ``ValueError`` keeps working.

    LmsdkError
    ├── ConfigError            an option, preset, setting or combination of them            (ValueError)
    ├── DataError              a dataset, image file, labels file is missing or malformed   (ValueError)
    │   └── VideoError         a video file or camera cannot be opened, read or written
    ├── CheckpointError        a run directory or checkpoint is missing, truncated or mismatched (ValueError)
    ├── ArtifactError          an artifact directory, manifest or model file is unusable     (ValueError)
    ├── InputError             an argument of the Python API is not what it accepts          (ValueError)
    │   └── ImageError         an image argument is None, a string, the wrong shape or dtype
    ├── OutputError            an output path would overwrite an input or cannot be written  (ValueError)
    ├── BackendUnavailableError  onnxruntime, TensorRT or a GPU that was asked for is not there
    ├── EngineIncompatibleError  a TensorRT engine was built for another GPU or TensorRT version
    ├── ParityError            an exported graph disagrees with the trained model
    └── EngineBuildError       TensorRT could not parse a graph or build an engine

The modules that used to define some of these re-export them under the old names
(``lmsdk.spec.ArtifactError``, ``lmsdk.runtime.VideoError``,
``lmsdk.export.ParityError``, ``lmsdk.export.tensorrt.EngineBuildError``).
"""

from __future__ import annotations

__all__ = [
    "ArtifactError",
    "BackendUnavailableError",
    "CheckpointError",
    "ConfigError",
    "DataError",
    "EngineBuildError",
    "EngineIncompatibleError",
    "ImageError",
    "InputError",
    "LmsdkError",
    "OutputError",
    "ParityError",
    "VideoError",
]


class LmsdkError(Exception):
    """Base class of the errors a user can cause and fix; the CLI turns them into one line and exit code 2."""


class ConfigError(LmsdkError, ValueError):
    """A configuration value, preset name or option combination is invalid."""


class DataError(LmsdkError, ValueError):
    """A dataset, image, label file or video is missing or malformed."""


class VideoError(DataError):
    """A video file or camera cannot be opened, read or written."""


class CheckpointError(LmsdkError, ValueError):
    """A checkpoint or run directory is missing, truncated, or does not match its config."""


class ArtifactError(LmsdkError, ValueError):
    """An artifact directory, manifest or model file is missing, corrupt, inconsistent or of an unknown version."""


class InputError(LmsdkError, ValueError):
    """An argument passed to the Python API (a box, a shift, a landmark index, a timestamp) is invalid."""


class ImageError(InputError):
    """An image argument is None (what ``cv2.imread`` returns for a missing file), a string, empty, or of a
    shape or dtype lmsdk does not read."""


class OutputError(LmsdkError, ValueError):
    """An output path would overwrite an input, is a folder where a file is meant (or the reverse), has a
    suffix no writer knows, or lies where nothing can be written."""


class BackendUnavailableError(LmsdkError):
    """The requested inference backend (onnxruntime, TensorRT, a GPU) is not installed or not present."""


class EngineIncompatibleError(LmsdkError):
    """A TensorRT engine was built for another GPU or TensorRT version; it must be rebuilt on this machine."""


class ParityError(LmsdkError):
    """An exported graph disagrees with the trained model beyond the documented tolerance."""


class EngineBuildError(LmsdkError):
    """TensorRT could not parse the graph or build the engine."""
