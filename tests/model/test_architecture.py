"""The paper-size networks match the released code's sizes (counted from its layer specs)."""

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

from lmsdk.model import MODEL_PRESETS, LandmarkAutoencoder


def _macs(fn) -> float:
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        fn()
    return counter.get_total_flops() / 2  # multiply-adds


def _params(module) -> float:
    return sum(p.numel() for p in module.parameters())


@pytest.fixture(scope="module")
def celeba():
    return LandmarkAutoencoder(MODEL_PRESETS["paper-80"]).eval()


def test_celeba80_counts_match_the_original(celeba):
    x = torch.rand(1, 3, 96, 96)
    det = celeba.detector(x)
    descriptors = celeba.encoder(x, det.probs)
    expected = {  # (parameters, MACs) per image at K = 10
        "detector": (0.68e6, 1.14e9, _params(celeba.detector), _macs(lambda: celeba.detector(x))),
        "feature": (4.7e6, 3.9e9, _params(celeba.encoder), _macs(lambda: celeba.encoder.hourglass(x))),
        "decoder": (14.4e6, 4.5e9, _params(celeba.decoder), _macs(lambda: celeba.decoder(det.points, descriptors))),
    }
    for name, (want_p, want_m, got_p, got_m) in expected.items():
        assert abs(got_p / want_p - 1) < 0.05, f"{name}: {got_p / 1e6:.3f} M parameters"
        assert abs(got_m / want_m - 1) < 0.05, f"{name}: {got_m / 1e9:.3f} GMAC"


@pytest.mark.parametrize("name", sorted(n for n, c in MODEL_PRESETS.items() if c.crop_size <= 80))
def test_every_preset_builds_and_runs(name):
    config = MODEL_PRESETS[name]
    model = LandmarkAutoencoder(config).eval()
    crops = torch.rand(2, 3, config.crop_size, config.crop_size)
    with torch.no_grad():
        enc = model.encode(crops)
        out = model.decode(enc.points, enc.descriptors)
    k = config.num_landmarks
    assert enc.points.shape == (2, k, 2)
    assert out.shape == crops.shape
    assert (enc.descriptors is None) == (not config.has_descriptors)


@pytest.mark.slow
def test_human36m_preset_shapes():  # the 128 px preset: 14 M parameters per network, seconds on a CPU
    config = MODEL_PRESETS["paper-128"]
    model = LandmarkAutoencoder(config).eval()
    with torch.no_grad():
        enc = model.encode(torch.rand(1, 3, 128, 128))
        out = model.decode(enc.points, enc.descriptors)
    assert enc.probs.shape[-1] == 96  # detection at half the padded input
    assert out.shape == (1, 3, 128, 128)
