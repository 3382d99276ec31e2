"""The runtime's error names, kept importable from here; every lmsdk error lives in :mod:`lmsdk.errors`."""

from __future__ import annotations

from lmsdk.errors import ArtifactError, BackendUnavailableError, EngineIncompatibleError, LmsdkError

__all__ = ["ArtifactError", "BackendUnavailableError", "EngineIncompatibleError", "LmsdkError"]
