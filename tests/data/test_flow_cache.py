"""Flows are computed once per clip and kept on disk; a cache that no longer matches its clip or its settings is
recomputed, and a read-only data folder sends the cache elsewhere."""

import os
import shutil

import numpy as np
import pytest

import lmsdk.data.video as video_module
from lmsdk.data import VideoFrames
from lmsdk.data.clips import ClipSpec, write_clip
from lmsdk.data.flow_cache import BESIDE_FOLDER


@pytest.fixture
def computed(monkeypatch):
    """Counts the clips whose flows are computed (not read from a cache)."""
    calls = []
    real = video_module.pair_flows

    def counting(frames, gap, step):
        calls.append(len(frames))
        return real(frames, gap, step)

    monkeypatch.setattr(video_module, "pair_flows", counting)
    return calls


@pytest.fixture
def clip(tmp_path):
    path = tmp_path / "clips" / "drift.avi"
    path.parent.mkdir()
    write_clip(str(path), ClipSpec(width=64, height=64, frames=24, motion="drift"))
    return path


def _open(path, **kwargs):
    """A video source with every flow read or computed (as training opens one)."""
    source = VideoFrames(path, 32, gap=10, step=5, flow_size=64, **kwargs)
    source.prepare_pairs()
    return source


def _same_pairs(a, b):
    for i in (0, a.pair_count - 1):
        for x, y in zip(a.pair(i), b.pair(i), strict=True):
            assert np.array_equal(x, y)


def test_flows_are_computed_once_and_read_back(clip, computed):
    first = _open(clip)
    files = list((clip.parent / BESIDE_FOLDER).glob("*.npz"))
    assert computed == [24] and len(files) == 1 and files[0].name.startswith("drift.avi-")
    second = _open(clip)
    assert computed == [24]  # read, not computed
    _same_pairs(first, second)


def test_a_changed_clip_or_other_settings_compute_again(clip, computed):
    _open(clip)
    os.utime(clip, ns=(1, 1))  # touched, same bytes: still valid (the hash decides)
    _open(clip)
    assert computed == [24]
    write_clip(str(clip), ClipSpec(width=64, height=64, frames=24, motion="drift", seed=5))  # new content
    _open(clip)
    assert computed == [24, 24]
    VideoFrames(clip, 32, gap=5, step=5, flow_size=64).prepare_pairs()  # other settings: their own file
    assert computed == [24, 24, 24] and len(list((clip.parent / BESIDE_FOLDER).glob("*.npz"))) == 2


def test_a_damaged_cache_file_is_recomputed(clip, computed):
    first = _open(clip)
    (cached,) = (clip.parent / BESIDE_FOLDER).glob("*.npz")
    cached.write_bytes(cached.read_bytes()[:200])
    second = _open(clip)
    assert computed == [24, 24]
    _same_pairs(first, second)


def test_a_read_only_data_folder_caches_in_the_users_cache(clip, computed, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "home-cache"))
    clip.parent.chmod(0o555)
    try:
        _open(clip)
        _open(clip)
    finally:
        clip.parent.chmod(0o755)
    assert computed == [24] and not (clip.parent / BESIDE_FOLDER).exists()
    assert len(list((tmp_path / "home-cache" / "lmsdk" / "flow").glob("drift.avi-*.npz"))) == 1


def test_a_named_cache_folder_is_the_only_place_used(clip, computed, tmp_path):
    _open(clip, flow_cache=tmp_path / "flows")
    _open(clip, flow_cache=tmp_path / "flows")
    assert computed == [24] and not (clip.parent / BESIDE_FOLDER).exists()
    assert len(list((tmp_path / "flows").glob("*.npz"))) == 1
    shutil.rmtree(tmp_path / "flows")
    _open(clip, flow_cache=tmp_path / "flows")
    assert computed == [24, 24]


def test_a_source_read_for_its_frames_computes_no_flow(clip, computed):
    source = VideoFrames(clip, 32, gap=10, step=5, flow_size=64)  # as export reads a run's crops
    assert source.images(np.arange(len(source))).shape == (24, 32, 32, 3) and source.pair_count == 14
    assert computed == [] and not (clip.parent / BESIDE_FOLDER).exists()
    source.pair(13)  # the first pair asked for computes its clip's flows
    assert computed == [24]


@pytest.fixture
def frame_folder(tmp_path):
    """A clip as a folder of 24 BMP frames (every file the same size)."""
    import cv2

    from lmsdk.video import VideoSource

    folder = tmp_path / "frames" / "drift"
    folder.mkdir(parents=True)
    movie = tmp_path / "drift.avi"
    write_clip(str(movie), ClipSpec(width=64, height=64, frames=24, motion="drift"))
    with VideoSource(movie) as video:
        for frame in video:
            cv2.imwrite(str(folder / f"{frame.index:04d}.bmp"), frame.image)
    return folder


def test_frames_renamed_or_replaced_by_an_older_file_of_the_same_size_are_found_stale(frame_folder, computed):
    _open(frame_folder)
    first, middle = frame_folder / "0000.bmp", frame_folder / "0012.bmp"
    first.rename(frame_folder / "0099.bmp")  # the same bytes in another order: another clip
    _open(frame_folder)
    (frame_folder / "0099.bmp").rename(first)
    _open(frame_folder)
    assert computed == [24, 24, 24]
    # The first frame replaced by a middle one's bytes, dated before everything: the total size and the folder's
    # latest time are unchanged, the listing is not
    stamp = first.stat().st_mtime_ns - 10**9
    first.write_bytes(middle.read_bytes())
    os.utime(first, ns=(stamp, stamp))
    _open(frame_folder)
    assert computed == [24, 24, 24, 24]
    os.utime(first, ns=(stamp - 10**9, stamp - 10**9))  # touched again, same bytes: still valid (the hash decides)
    _open(frame_folder)
    assert computed == [24, 24, 24, 24]


def test_a_touched_clip_is_hashed_once_then_known_by_its_new_listing(clip, computed, monkeypatch):
    import lmsdk.data.flow_cache as cache_module

    _open(clip)
    hashed = []
    real = cache_module._sha256
    monkeypatch.setattr(cache_module, "_sha256", lambda path: hashed.append(path) or real(path))
    os.utime(clip, ns=(1, 1))  # touched, same bytes
    _open(clip)
    _open(clip)
    assert computed == [24] and len(hashed) == 1  # the second open trusts the listing recorded by the first
