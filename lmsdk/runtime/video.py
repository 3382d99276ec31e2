"""Kept importable from here: video I/O lives in :mod:`lmsdk.video` (shared with the training data)."""

from __future__ import annotations

from lmsdk.video import Frame, RateMeter, VideoError, VideoSink, VideoSource, has_display

__all__ = ["Frame", "RateMeter", "VideoError", "VideoSink", "VideoSource", "has_display"]
