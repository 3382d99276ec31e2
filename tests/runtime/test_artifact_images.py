"""The runtime's two image conversions are twins: a crop taken in by ``preprocess`` comes back unchanged from
``postprocess``, in the manifest's colour order, and the decoder's images go through ``postprocess``."""

import json
import shutil

import numpy as np
import pytest

from lmsdk.data import SyntheticFaces
from lmsdk.geometry import Box, crop_resize
from lmsdk.runtime import Artifact, Decoder, Encoder


@pytest.fixture(scope="module")
def picture():
    return np.ascontiguousarray(SyntheticFaces(90, 1, seed=5).image(0)[5:, :, ::-1])  # BGR, 85 x 90


@pytest.mark.parametrize("order", ["RGB", "BGR"])
def test_postprocess_undoes_preprocess(artifact, tmp_path, picture, order):
    copy = tmp_path / "art"
    shutil.copytree(artifact, copy)
    manifest = json.loads((copy / "manifest.json").read_text())
    manifest["input"]["color_order"] = order
    (copy / "manifest.json").write_text(json.dumps(manifest))
    opened = Artifact(copy)
    box = Box(3.0, 1.0, 80.0, 80.0)
    graph_input = opened.preprocess(picture, box)  # (3, S, S) in the manifest's order
    first = graph_input[0, 0, 0] * 255
    expected = crop_resize(picture, box, opened.manifest.input.crop_size)
    assert first == pytest.approx(expected[0, 0, 2 if order == "RGB" else 0])
    back = opened.postprocess(graph_input[None])
    assert back.dtype == np.uint8 and back.flags.c_contiguous
    np.testing.assert_array_equal(back[0], expected)


def test_the_decoder_returns_postprocessed_graph_output(artifact, picture):
    with Encoder(artifact) as encoder, Decoder(artifact) as decoder:
        code = encoder(picture)
        image = decoder(code.normalized, code.descriptors)
        raw = decoder.backend.run({"landmarks": code.normalized[None], "descriptors": code.descriptors[None]})
    np.testing.assert_array_equal(image, decoder.artifact.postprocess(raw["image"])[0])
    assert image.shape == (decoder.size, decoder.size, 3)
