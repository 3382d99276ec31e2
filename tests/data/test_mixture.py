"""Images and video in one run: what each batch holds."""

import dataclasses

import numpy as np
import pytest

from lmsdk.data import DataConfig
from lmsdk.data.clips import ClipSpec, write_clip
from lmsdk.data.mixture import open_training_data
from lmsdk.data.sources import SourceSpec, spread_indices, training_crops
from lmsdk.errors import ConfigError


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    folder = tmp_path_factory.mktemp("mix")
    for name, seed in (("a.avi", 0), ("b.avi", 1)):
        write_clip(str(folder / name), ClipSpec(width=64, height=64, frames=16, motion="drift", seed=seed))
    return folder


def _data(*specs, share=0.25):
    first, *more = specs
    config = DataConfig(source=first, more_sources=tuple(SourceSpec(s) for s in more), synthetic_count=40)
    return open_training_data(dataclasses.replace(config, video_share=share), 32)


def test_images_and_video_split_each_batch_by_the_share(clips):
    data = _data("synthetic", str(clips / "a.avi"), str(clips / "b.avi"))
    assert len(data.images) == 40 and data.pairs.pair_count == 12  # 6 pairs 10 apart in each 16-frame clip
    assert data.split(16) == (12, 4) and data.split(2) == (1, 1) and data.split(3) == (2, 1)
    assert data.reference is data.images  # the probe and the framing statistics see the image set
    second = data.pairs.pair(6)  # the first pair of the second clip
    assert np.array_equal(second[0], data.pairs.sources[1].pair(0)[0])
    with pytest.raises(ConfigError, match="cannot mix"):
        data.split(1)


def test_one_kind_alone_fills_the_batch(clips):
    assert _data("synthetic").split(16) == (16, 0)
    video = _data(str(clips))
    assert video.split(16) == (0, 16) and video.images is None and video.reference is video.pairs


@pytest.mark.parametrize("share", [0.0, 1.0, -0.5])
def test_the_share_is_a_fraction_of_a_batch(share):
    with pytest.raises(ConfigError, match="video share"):
        DataConfig(video_share=share)


def test_several_image_sources_are_concatenated(tmp_path):
    import cv2

    folder = tmp_path / "photos"
    folder.mkdir()
    for i in range(3):
        cv2.imwrite(str(folder / f"{i}.png"), np.full((40, 50, 3), 60 * i, np.uint8))
    data = _data("synthetic", str(folder))
    assert len(data.images) == 43 and data.pairs is None and data.split(8) == (8, 0)
    assert np.array_equal(data.images.image(42), np.full((32, 32, 3), 120, np.uint8))


def test_export_and_the_prior_read_the_image_source_first_and_compute_no_flow(clips, monkeypatch):
    import lmsdk.data.video as video_module

    monkeypatch.setattr(video_module, "pair_flows", lambda *a: pytest.fail("a flow was computed"))
    mixed = DataConfig(source=str(clips / "a.avi"), more_sources=(SourceSpec("synthetic"),), synthetic_count=40)
    crops = training_crops(mixed, 32, 5)
    images = open_training_data(dataclasses.replace(DataConfig(source="synthetic", synthetic_count=40)), 32).images
    assert np.array_equal(crops, images.images(spread_indices(40, 5)))  # the synthetic faces, not the clip
    alone = training_crops(DataConfig(source=str(clips / "a.avi")), 32, 4)
    assert alone.shape == (4, 32, 32, 3)  # video alone: its frames, still without a flow
