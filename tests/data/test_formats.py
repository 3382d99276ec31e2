"""Every data format through one test (timm style): len, image, images, keypoints, as evaluation and training
use them, on the raw source (no cache in front that would hide a broken method)."""

import numpy as np
import pytest

from lmsdk.data import FORMATS, DataConfig, Subset, detect_format, open_labelled, open_source
from tests.data import layouts

SIZE = 32
WRITERS = {
    "synthetic": lambda root: "synthetic",
    "folder": layouts.write_folder,
    "labels": layouts.write_labels,
    "celeba": lambda root: f"{layouts.write_celeba(root)}#mafl-train",
    "aflw": lambda root: f"{layouts.write_aflw(root, 'train')}#train",
    "mtfl": layouts.write_mtfl,
    "cats": lambda root: f"{layouts.write_cats(root)}#all",
    "mnist": layouts.write_mnist,
    "video": layouts.write_video,
}


def test_every_format_has_a_case_here():
    assert set(WRITERS) == set(FORMATS)


@pytest.mark.parametrize("name", sorted(WRITERS))
def test_every_format_serves_len_image_images_and_keypoints(name, tmp_path):
    spec = str(WRITERS[name](tmp_path / name))
    assert detect_format(spec) == name
    config = DataConfig(source=spec, synthetic_count=5, cache=False, video_gap=2, video_flow_step=1)
    source = open_source(config, SIZE)
    n = len(source)
    assert n >= 1
    first = source.image(0)
    assert first.shape == (SIZE, SIZE, 3) and first.dtype == np.uint8
    batch = source.images([0, n - 1])  # CatHeads once shadowed this method with a list of paths
    assert batch.shape == (2, SIZE, SIZE, 3) and batch.dtype == np.uint8
    assert np.array_equal(batch[0], first)
    assert np.array_equal(source.images(np.arange(n)), np.stack([source.image(i) for i in range(n)]))
    assert len(Subset(source, [n - 1]).images(range(1))) == 1
    if not source.has_keypoints:
        with pytest.raises(NotImplementedError):
            source.keypoints(0)
        return
    points = source.keypoints(0)
    count = len(source.keypoint_names)
    assert points.shape == (count, 2) and points.dtype == np.float32
    assert source.all_keypoints().shape == (n, count, 2)
    assert max(source.normalizer_indices or (0, 1)) < count
    labelled = open_labelled(spec, SIZE)  # what lmsdk eval opens (synthetic: its default size)
    m = min(n, len(labelled))
    assert labelled.images(range(m)).shape == (m, SIZE, SIZE, 3) and labelled.all_keypoints().shape[1:] == (count, 2)
