"""The paper's networks as nn.Modules, their configs, presets and checkpoints (torch, no training code)."""

from lmsdk.model.autoencoder import AutoencoderOutput, Encoding, LandmarkAutoencoder
from lmsdk.model.checkpoint import load_model, load_model_config, save_model
from lmsdk.model.config import HourglassSpec, LiteSpec, ModelConfig
from lmsdk.model.decoder import LandmarkDecoder
from lmsdk.model.detector import Detection, LandmarkDetector
from lmsdk.model.encoder import DescriptorEncoder
from lmsdk.model.hourglass import Hourglass
from lmsdk.model.lite import LiteDetector
from lmsdk.model.presets import LITE_PRESETS, MODEL_PRESETS

__all__ = [
    "LITE_PRESETS",
    "MODEL_PRESETS",
    "AutoencoderOutput",
    "DescriptorEncoder",
    "Detection",
    "Encoding",
    "Hourglass",
    "HourglassSpec",
    "LandmarkAutoencoder",
    "LandmarkDecoder",
    "LandmarkDetector",
    "LiteDetector",
    "LiteSpec",
    "ModelConfig",
    "load_model",
    "load_model_config",
    "save_model",
]
