"""Model weights as safetensors + the config as JSON: no pickle, written atomically, loaded strictly."""

from __future__ import annotations

import os
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save

from lmsdk.configio import named
from lmsdk.errors import CheckpointError
from lmsdk.fileio import atomic_write_bytes, atomic_write_json, read_json
from lmsdk.model.autoencoder import LandmarkAutoencoder
from lmsdk.model.config import ModelConfig

WEIGHTS_FILE = "model.safetensors"
CONFIG_FILE = "model_config.json"
FORMAT = "lmsdk.model/1"


def save_model(model: LandmarkAutoencoder, directory: str | os.PathLike[str]) -> Path:
    """Write ``model.safetensors`` (parameters and BN statistics) and ``model_config.json`` into ``directory``."""
    directory = Path(directory)
    state = {k: v.detach().contiguous().cpu() for k, v in model.state_dict().items()}
    atomic_write_bytes(directory / WEIGHTS_FILE, save(state, metadata={"format": FORMAT}))
    atomic_write_json(directory / CONFIG_FILE, {"format": FORMAT, "model": model.config.to_dict()})
    return directory


def load_model_config(directory: str | os.PathLike[str]) -> ModelConfig:
    """Read the :class:`ModelConfig` saved by :func:`save_model`."""
    path = Path(directory) / CONFIG_FILE
    data = read_json(path, "model config")
    if not isinstance(data, dict) or data.get("format") != FORMAT or "model" not in data:
        raise CheckpointError(f"{path}: not an lmsdk model config (expected format {FORMAT!r})")
    return named(lambda: ModelConfig.from_dict(data["model"], f"{path}: model"), path)


def load_state(path: str | os.PathLike[str], what: str = "weights") -> dict[str, torch.Tensor]:
    """Load a safetensors file, turning a missing or truncated file into a one-line error."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: {what} not found")
    try:
        return load_file(path)
    except (SafetensorError, OSError, ValueError) as exc:
        raise CheckpointError(f"{path}: cannot read {what} ({exc})") from None


def check_finite(state: dict[str, torch.Tensor], path: Path) -> None:
    """Refuse saved tensors that hold NaN or infinite values (a diverged or damaged file)."""
    for name, tensor in state.items():
        if tensor.is_floating_point() and not bool(torch.isfinite(tensor).all()):
            raise CheckpointError(f"{path}: {name} holds NaN or infinite values (a diverged or damaged file)")


def check_weights(state: dict[str, torch.Tensor], module: torch.nn.Module, path: Path) -> None:
    """Refuse weights that would load but compute nonsense: a tensor whose dtype is not the module's (a load
    would cast it silently) or that holds NaN or infinite values."""
    expected = module.state_dict()
    for name, tensor in state.items():
        if name in expected and tensor.dtype != expected[name].dtype:
            raise CheckpointError(f"{path}: {name} is {tensor.dtype}, the model needs {expected[name].dtype}")
    check_finite(state, path)


def load_model(directory: str | os.PathLike[str], device: str | torch.device = "cpu") -> LandmarkAutoencoder:
    """Rebuild a model saved by :func:`save_model`, in eval mode on ``device``."""
    directory = Path(directory)
    model = LandmarkAutoencoder(load_model_config(directory))
    state = load_state(directory / WEIGHTS_FILE)
    missing, unexpected = set(model.state_dict()) - set(state), set(state) - set(model.state_dict())
    if missing or unexpected:
        raise CheckpointError(
            f"{directory / WEIGHTS_FILE}: weights do not match {CONFIG_FILE} "
            f"(missing {sorted(missing)[:3]}, unexpected {sorted(unexpected)[:3]})"
        )
    check_weights(state, model, directory / WEIGHTS_FILE)
    try:
        model.load_state_dict(state)
    except RuntimeError as exc:
        first = str(exc).strip().splitlines()[-1].strip()
        raise CheckpointError(f"{directory / WEIGHTS_FILE}: weights do not match {CONFIG_FILE} ({first})") from None
    return model.to(device).eval()
