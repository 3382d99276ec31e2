"""Clip lists: some clips of a folder, each cropped to its own box."""

import numpy as np
import pytest

from lmsdk.data import VideoFrames, detect_format
from lmsdk.data.clip_list import Clip, read_clip_list, write_clip_list
from lmsdk.data.clips import ClipSpec, write_clip
from lmsdk.errors import DataError
from lmsdk.geometry import Box, bgr_to_rgb, crop_resize
from lmsdk.video import VideoSource


@pytest.fixture
def folder(tmp_path):
    clips = tmp_path / "clips"
    clips.mkdir()
    for name, seed in (("a.avi", 0), ("b.avi", 1), ("held_out.avi", 2)):
        write_clip(str(clips / name), ClipSpec(width=80, height=60, frames=14, motion="drift", seed=seed))
    return clips


def test_a_list_names_clips_and_crops_each_to_its_box(folder, tmp_path):
    listing = tmp_path / "train.txt"
    listing.write_text("# two of three clips\nclips/a.avi 10 5 50 45\n\nclips/b.avi\n")
    assert detect_format(listing) == "video"
    data = VideoFrames(listing, 24, gap=5, step=5, flow_size=0)
    assert len(data) == 28 and data.pair_count == 18  # 14 frames each, pairs 5 apart
    with VideoSource(folder / "a.avi") as video:
        first = bgr_to_rgb(next(iter(video)).image)
    assert np.array_equal(data.image(0), crop_resize(first, Box.from_xyxy(10, 5, 50, 45), 24))
    with VideoSource(folder / "b.avi") as video:
        first = bgr_to_rgb(next(iter(video)).image)
    assert np.array_equal(data.image(14), crop_resize(first, Box.centered_square(80, 60), 24))


def test_written_lists_read_back(folder, tmp_path):
    clips = [Clip(folder / "a.avi", Box.from_xyxy(1, 2, 41, 42)), Clip(folder / "b.avi")]
    write_clip_list(tmp_path / "lists" / "l.txt", clips, comment="made by a test")
    read = read_clip_list(tmp_path / "lists" / "l.txt")
    assert [c.path.resolve() for c in read] == [c.path.resolve() for c in clips]
    assert read[0].box == Box.from_xyxy(1, 2, 41, 42) and read[1].box is None


def test_paths_with_spaces_read_back_with_and_without_a_box(folder, tmp_path):
    spaced = folder / "my clip 1 2 3.avi"
    (folder / "a.avi").rename(spaced)
    clips = [Clip(spaced, Box.from_xyxy(1, 2, 41, 42)), Clip(spaced)]
    write_clip_list(tmp_path / "l.txt", clips)
    read = read_clip_list(tmp_path / "l.txt")
    assert [c.path.resolve() for c in read] == [spaced.resolve()] * 2
    assert read[0].box == Box.from_xyxy(1, 2, 41, 42) and read[1].box is None


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ("clips/a.avi 1 2 3\n", r"train.txt:1: .*a.avi 1 2 3: no such video file .*optionally followed by a box"),
        ("clips/a.avi 1 2 x 4\n", r"train.txt:1: .*a.avi 1 2 x 4: no such video file"),
        ("clips/a.avi 1 2 inf 4\n", r"train.txt:1: .*a.avi 1 2 inf 4: no such video file"),
        ("clips/a.avi 10 10 5 20\n", r"train.txt:1: the box needs X1 > X0"),
        ("# nothing\nclips/missing.avi\n", r"train.txt:2: .*missing.avi: no such video file"),
        ("# only a comment\n", "names no clips"),
    ],
)
def test_a_bad_list_names_its_line(folder, tmp_path, lines, message):
    listing = tmp_path / "train.txt"
    listing.write_text(lines)
    with pytest.raises(DataError, match=message):
        read_clip_list(listing)
