import re

import pytest
import torch
from safetensors.torch import load_file, save_file

from lmsdk.errors import CheckpointError, ConfigError
from lmsdk.model import MODEL_PRESETS, LandmarkAutoencoder, ModelConfig, load_model, save_model


@pytest.fixture
def tiny_model():
    return LandmarkAutoencoder(MODEL_PRESETS["tiny"])


def test_config_round_trips_through_json_dicts():
    for name, config in MODEL_PRESETS.items():
        assert ModelConfig.from_dict(config.to_dict()) == config, name


def test_config_rejects_unknown_and_mistyped_fields():
    data = MODEL_PRESETS["tiny"].to_dict()
    with pytest.raises(ConfigError, match="unknown field"):
        ModelConfig.from_dict({**data, "num_landmark": 3})
    with pytest.raises(ConfigError, match="num_landmarks"):
        ModelConfig.from_dict({**data, "num_landmarks": "ten"})
    with pytest.raises(ConfigError, match="even margin"):
        MODEL_PRESETS["tiny"].replace(padded_size=41)


def test_outputs_are_landmarks_in_range_and_maps_are_distributions(tiny_model):
    tiny_model.eval()
    s = tiny_model.config.crop_size
    crops = torch.rand(3, 3, s, s)
    with torch.no_grad():
        enc = tiny_model.encode(crops)
        recon = tiny_model.decode(enc.points, enc.descriptors)
    k = tiny_model.config.num_landmarks
    assert enc.points.shape == (3, k, 2) and enc.descriptors.shape == (3, k + 1, 8)
    # Soft-argmax over the padded frame can reach just beyond the crop (the padding is 4 px a side).
    assert enc.points.min() > -0.2 and enc.points.max() < 1.2
    p = tiny_model.config.padded_size
    assert torch.allclose(enc.probs.sum(1), torch.ones(3, p, p), atol=1e-5)
    assert recon.shape == crops.shape


def test_reconstruction_gradient_reaches_landmark_coordinates(tiny_model):
    """The decoder is differentiable with respect to the landmarks (the paper's point)."""
    tiny_model.train()
    crops = torch.rand(4, 3, 48, 48)
    out = tiny_model(tiny_model.pad(crops))
    points_grad = torch.autograd.grad(out.reconstruction.sum(), out.encoding.points, retain_graph=True)[0]
    assert points_grad.abs().sum() > 0
    det_grad = torch.autograd.grad(out.reconstruction.sum(), tiny_model.detector.head[0].weight)[0]
    assert det_grad.abs().sum() > 0


def test_checkpoint_round_trip_is_exact(tmp_path, tiny_model):
    tiny_model.train()
    tiny_model(tiny_model.pad(torch.rand(4, 3, 48, 48)))  # move BN statistics off their defaults
    save_model(tiny_model, tmp_path / "m")
    loaded = load_model(tmp_path / "m")
    for (k, a), (_, b) in zip(tiny_model.state_dict().items(), loaded.state_dict().items(), strict=True):
        assert torch.equal(a, b), k
    tiny_model.eval()
    x = torch.rand(2, 3, 48, 48)
    with torch.no_grad():
        assert torch.equal(tiny_model.encode(x).points, loaded.encode(x).points)


def test_loading_refuses_broken_files(tmp_path, tiny_model):
    save_model(tiny_model, tmp_path / "m")
    weights = tmp_path / "m" / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:100])
    with pytest.raises(CheckpointError, match=r"model\.safetensors"):
        load_model(tmp_path / "m")
    save_model(tiny_model, tmp_path / "n")
    (tmp_path / "n" / "model_config.json").write_text("{not json")
    with pytest.raises(CheckpointError, match=r"model_config\.json"):
        load_model(tmp_path / "n")
    with pytest.raises(CheckpointError, match="not found"):
        load_model(tmp_path / "missing")


def test_loading_refuses_weights_of_another_config(tmp_path, tiny_model):
    save_model(tiny_model, tmp_path / "m")
    other = LandmarkAutoencoder(MODEL_PRESETS["tiny"].replace(num_landmarks=4))
    save_model(other, tmp_path / "o")
    (tmp_path / "m" / "model.safetensors").write_bytes((tmp_path / "o" / "model.safetensors").read_bytes())
    with pytest.raises(CheckpointError, match="do not match"):
        load_model(tmp_path / "m")


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda t: torch.full_like(t, float("nan")), "holds NaN or infinite values"),
        (lambda t: torch.full_like(t, float("inf")), "holds NaN or infinite values"),
        (lambda t: t.double(), "is torch.float64, the model needs torch.float32"),
        (lambda t: t.long(), "is torch.int64, the model needs torch.float32"),
    ],
    ids=["nan", "inf", "float64", "int64"],
)
def test_loading_refuses_weights_that_would_load_but_compute_nonsense(tmp_path, tiny_model, damage, message):
    save_model(tiny_model, tmp_path / "m")
    path = tmp_path / "m" / "model.safetensors"
    state = load_file(path)
    name = next(k for k, v in state.items() if v.is_floating_point() and v.ndim == 4)  # a convolution's weights
    state[name] = damage(state[name])
    save_file(state, path)
    with pytest.raises(CheckpointError, match=rf"model\.safetensors: {re.escape(name)} {message}"):
        load_model(tmp_path / "m")


def test_no_descriptor_model_decodes_from_landmarks_alone():
    config = MODEL_PRESETS["mnist"]
    model = LandmarkAutoencoder(config).eval()
    with torch.no_grad():
        enc = model.encode(torch.rand(2, 3, 28, 28))
        assert enc.descriptors is None
        assert model.decode(enc.points, None).shape == (2, 3, 28, 28)


def test_detect_gives_the_landmarks_of_encode(tiny_model):
    x = torch.rand(3, 3, tiny_model.config.crop_size, tiny_model.config.crop_size)
    tiny_model.eval()
    with torch.no_grad():
        assert torch.equal(tiny_model.detect(x).points, tiny_model.encode(x).points)
