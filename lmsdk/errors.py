"""Exceptions shared by every stage (stdlib only, importable from the torch-free runtime).

Every error a user can cause by what they pass in (a file, a flag, a dataset layout) is an
:class:`LmsdkError`. Its message is one line that names the file or option and what is wrong;
the CLI prints it and exits with status 2, without a traceback.
"""

from __future__ import annotations


class LmsdkError(Exception):
    """Base class of the errors a user can cause and fix; the CLI turns them into exit code 2."""


class ConfigError(LmsdkError, ValueError):
    """A configuration value, preset name or option combination is invalid."""


class DataError(LmsdkError, ValueError):
    """A dataset, image, label file or video is missing or malformed."""


class CheckpointError(LmsdkError, ValueError):
    """A checkpoint or run directory is missing, truncated, or does not match its config."""
