"""Runtime errors (torch-free)."""

from __future__ import annotations

from lmsdk.errors import LmsdkError
from lmsdk.spec import ArtifactError

__all__ = ["ArtifactError", "BackendUnavailableError", "EngineIncompatibleError", "LmsdkError"]


class BackendUnavailableError(LmsdkError):
    """The requested inference backend (onnxruntime, TensorRT, a GPU) is not installed or not present."""


class EngineIncompatibleError(LmsdkError):
    """A TensorRT engine was built for another GPU or TensorRT version; it must be rebuilt on this machine."""
