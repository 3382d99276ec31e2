"""The frozen configuration that fully describes a landmark autoencoder; saved beside its weights."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

from lmsdk.configio import from_dict, to_dict
from lmsdk.errors import ConfigError
from lmsdk.ops.heatmaps import HeatmapNormalization

# The largest crop side a model may be built for: the hourglasses' activations grow with the crop's area (16x
# those of a 256 px crop at 1,024 px), and no landmark task here needs more.
MAX_CROP_SIZE = 1024


@dataclass(frozen=True)
class HourglassSpec:
    """An hourglass as values (paper Fig. 40): one builder serves every resolution and width.

    Level ``i`` works at ``1 / 2**i`` of the input resolution. On the way down, level ``i`` applies the
    3x3 convs ``encoder[i]`` and (except at the bottom) max-pools by 2. On the way up, starting at the
    bottom level, level ``i`` applies ``decoder[i]``; between levels the stream is upsampled (nearest, x2)
    and a skip branch of ``skip_convs`` convs from the encoder output of the same level is added.
    The output is taken at level ``out_level`` (1 = half the input resolution); its channel count is the
    last width of ``decoder[out_level]``.
    """

    encoder: tuple[tuple[int, ...], ...]
    decoder: tuple[tuple[int, ...], ...]
    skip_convs: int
    out_level: int = 0

    def __post_init__(self) -> None:
        if len(self.encoder) != len(self.decoder) or not self.encoder:
            raise ConfigError("hourglass encoder and decoder need one entry per level")
        if not 0 <= self.out_level < len(self.encoder):
            raise ConfigError(f"hourglass out_level {self.out_level} is outside its {len(self.encoder)} levels")
        if any(not widths for widths in self.encoder) or not self.decoder[self.out_level]:
            raise ConfigError("every encoder level and the output level need at least one conv")
        if self.skip_convs < 1:
            raise ConfigError(f"skip branches need at least one conv, got skip_convs={self.skip_convs}")

    @property
    def levels(self) -> int:
        return len(self.encoder)

    @property
    def out_channels(self) -> int:
        return self.decoder[self.out_level][-1]

    def scaled(self, factor: float) -> HourglassSpec:
        """The same hourglass with every width multiplied by ``factor`` (at least 1 channel)."""

        def scale(widths: tuple[int, ...]) -> tuple[int, ...]:
            return tuple(max(1, round(w * factor)) for w in widths)

        return dataclasses.replace(
            self, encoder=tuple(map(scale, self.encoder)), decoder=tuple(map(scale, self.decoder))
        )


@dataclass(frozen=True)
class LiteSpec:
    """A lite detector (:class:`~lmsdk.model.lite.LiteDetector`) as values: a stride-2 stem of ``stem``
    channels, then one stage per ``(expand, out_channels, repeats)`` entry of inverted residuals, each stage
    halving the side, and a top-down path of ``head`` channels back to a quarter of the padded input."""

    stem: int = 16
    stages: tuple[tuple[int, int, int], ...] = ((2, 24, 2), (4, 32, 2), (4, 48, 2))
    head: int = 32

    def __post_init__(self) -> None:
        if not self.stages or any(len(s) != 3 or min(s) < 1 for s in self.stages):
            raise ConfigError(f"lite stages must be (expand, out_channels, repeats) >= 1, got {self.stages}")
        if min(self.stem, self.head) < 1:
            raise ConfigError("lite stem and head widths must be at least 1")


@dataclass(frozen=True)
class ModelConfig:
    """Everything needed to rebuild a :class:`~lmsdk.model.LandmarkAutoencoder`.

    Images enter as square RGB crops of side ``crop_size`` in ``[0, 1]`` and are mean-edge padded to
    ``padded_size`` for the detector and the feature network. The decoder renders its heatmaps at
    ``decoder_map_size`` and outputs an image of side ``crop_size``.
    """

    num_landmarks: int
    crop_size: int
    padded_size: int
    detector: HourglassSpec
    decoder: HourglassSpec
    feature: HourglassSpec | None  # None: no descriptors (landmarks are the whole code, as for MNIST)
    detector_head_kernel: int = 3  # kernel of the conv to K + 1 score maps (3 in Fig. 40c, 1 in 40g)
    # Initial scale (BatchNorm gamma) of the score maps: their sharpness at the start of training.
    detector_head_scale: float = 1.0
    descriptor_dim: int = 8  # C: per-landmark descriptor size
    decoder_feature_dim: int = 64  # per-landmark map of a descriptor back to the decoder's feature space
    decoder_upsample: tuple[int, ...] = ()  # convs after an extra x2 upsample (maps at half the output size)
    heatmap_scales: int = 5  # M
    heatmap_sigma: float = 0.125  # sigma of the sharpest decoder heatmap, normalised
    heatmap_sigma_step: float = math.sqrt(2.0)  # ratio between successive scales
    heatmap_normalization: HeatmapNormalization = "original"
    bn_eps: float = 1e-3
    leaky_slope: float = 0.2
    # A distilled lite detector (``lmsdk distill``): when set, detection (the exported detector) runs it, while
    # the descriptors and the decoder keep the landmark maps of the detector they were trained with.
    lite: LiteSpec | None = None

    def __post_init__(self) -> None:
        if self.num_landmarks < 1:
            raise ConfigError(f"num_landmarks must be at least 1, got {self.num_landmarks}")
        margin = self.padded_size - self.crop_size
        if margin < 0 or margin % 2:
            raise ConfigError(
                f"padded_size {self.padded_size} must exceed crop_size {self.crop_size} by an even margin"
            )
        for name, spec, size in (
            ("detector", self.detector, self.padded_size),
            ("feature", self.feature, self.padded_size),
            ("decoder", self.decoder, self.decoder_map_size),
        ):
            if spec is not None and size % 2 ** (spec.levels - 1):
                raise ConfigError(f"{name} input of {size} px is not divisible by 2**{spec.levels - 1}")
        if self.feature is not None and self.feature.out_level != self.detector.out_level:
            raise ConfigError("the feature network must output at the detector's resolution")
        if self.lite is not None and self.padded_size % 4:
            raise ConfigError(f"a lite detector's maps are a quarter of the padded side; {self.padded_size} px is not")
        if self.heatmap_normalization not in ("original", "paper"):
            raise ConfigError(f"unknown heatmap_normalization {self.heatmap_normalization!r}")

    @property
    def has_descriptors(self) -> bool:
        return self.feature is not None and self.descriptor_dim > 0

    @property
    def decoder_map_size(self) -> int:
        return self.crop_size // 2 if self.decoder_upsample else self.crop_size

    @property
    def heatmap_sigmas(self) -> tuple[float, ...]:
        return tuple(self.heatmap_sigma * self.heatmap_sigma_step**i for i in range(self.heatmap_scales))

    @property
    def size_step(self) -> int:
        """Crop sides must be multiples of this for every hourglass level to divide evenly."""
        return 2 ** (self.decoder.levels - 1) * (2 if self.decoder_upsample else 1)

    def resized(self, crop: int) -> ModelConfig:
        """The same networks at crop side ``crop``, padded by this config's ratio and rounded so every level
        divides evenly; :class:`ConfigError` when ``crop`` is not a multiple of :attr:`size_step`."""
        if crop < 8 or crop % self.size_step:
            raise ConfigError(
                f"--image-size {crop} must be a multiple of {self.size_step} (at least 8) for this preset"
            )
        if crop > MAX_CROP_SIZE:
            raise ConfigError(
                f"--image-size {crop} is above the largest supported crop, {MAX_CROP_SIZE} px (the paper's are "
                "64-128 px: landmarks need the object, not its fine texture)"
            )
        levels = max(self.detector.levels, self.feature.levels if self.feature else 1)
        step = 2 ** (levels - 1 + self.detector.out_level)
        step = step if step % 2 == 0 else 2 * step
        target = crop * self.padded_size / self.crop_size
        padded = max(step * round(target / step), step * -(-(crop + 1) // step))
        if (padded - crop) % 2:
            padded += step  # an even step keeps the parity, so this happens only for odd crops
        return self.replace(crop_size=crop, padded_size=padded)

    def scaled_sizes(self, scale: float) -> tuple[int, int]:
        """``(crop, padded)`` sides for training at ``scale`` of the configured resolution: the crop side
        rounded to the nearest valid multiple of :attr:`size_step` (at least one step)."""
        if scale == 1.0:
            return self.crop_size, self.padded_size
        crop = max(self.size_step, self.size_step * round(self.crop_size * scale / self.size_step))
        smaller = self.resized(crop)
        return smaller.crop_size, smaller.padded_size

    def replace(self, **changes: Any) -> ModelConfig:
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        return to_dict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any], where: str = "model") -> ModelConfig:
        """Rebuild from :meth:`to_dict` output; unknown or mistyped fields raise :class:`ConfigError` naming
        ``where`` (the file it came from, where there is one) and the field."""
        return from_dict(cls, data, where)
