"""lmsdk.video: frames decoded ahead on their own thread."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import numpy as np
import pytest

from lmsdk.errors import ConfigError, VideoError
from lmsdk.video import Frame, prefetched


def _frames(n: int, fail_at: int | None = None) -> Iterator[Frame]:
    for i in range(n):
        if i == fail_at:
            raise VideoError(f"frame {i} is damaged")
        yield Frame(i, i / 30, np.full((4, 4, 3), i, np.uint8))


def _decoders() -> int:
    return sum(t.name == "lmsdk-decode" for t in threading.enumerate())


def test_prefetched_frames_arrive_in_order_and_the_thread_ends():
    frames = list(prefetched(_frames(50), depth=3))
    assert [f.index for f in frames] == list(range(50))
    assert all(int(f.image[0, 0, 0]) == f.index for f in frames)
    assert _decoders() == 0


def test_an_error_while_decoding_reaches_the_caller_at_its_frame():
    seen = []
    with pytest.raises(VideoError, match="frame 7 is damaged"):
        for frame in prefetched(_frames(20, fail_at=7)):
            seen.append(frame.index)
    assert seen == list(range(7)) and _decoders() == 0


def test_leaving_early_stops_the_decoding_thread():
    source = prefetched(_frames(10_000), depth=2)
    assert next(source).index == 0
    source.close()
    assert _decoders() == 0


def test_a_depth_below_one_is_refused():
    with pytest.raises(ConfigError, match="at least 1"):
        next(prefetched(_frames(3), depth=0))
