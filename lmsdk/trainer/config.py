"""The training configuration: one frozen dataclass per concern, saved as RUN_DIR/config.json."""

from __future__ import annotations

import dataclasses
import math
import os
from dataclasses import dataclass, field
from typing import Any, Literal

from lmsdk.configio import from_dict, named, to_dict
from lmsdk.data.sources import DataConfig
from lmsdk.errors import ConfigError
from lmsdk.fileio import read_json
from lmsdk.model.began import BeganConfig
from lmsdk.model.config import ModelConfig
from lmsdk.model.generator import GeneratorSpec
from lmsdk.ops.color import JitterConfig
from lmsdk.ops.warps import WarpConfig

Precision = Literal["auto", "fp32", "bf16", "fp16"]
LrDecay = Literal["step", "cosine"]

# The released schedule switches at 100k and 200k of about 220k steps. lmsdk states milestones as
# fractions of the planned steps, so a shorter run (or one sized to a time budget) keeps its shape.
RELEASED_MILESTONES = (100 / 220, 200 / 220)


@dataclass(frozen=True)
class LossConfig:
    """Loss weights (lambda) and the separation bandwidth; coordinates are normalised to the crop."""

    concentration: float = 100.0
    separation: float = 20.0
    separation_sigma: float = 0.08
    equivariance: float = 1e4
    weight_decay: float = 1e-6
    flow_equivariance: float = 1e4  # video pairs only: the flow as the warp (App. C)
    flow_preference: float = 10.0  # video pairs only: landmarks where things move (eq. 16, lmsdk's scaling)


@dataclass(frozen=True)
class ScheduleConfig:
    """Schedules over the run; every position is a fraction of the planned steps, so a run sized to a time
    budget keeps the shape of its schedule.

    Step schedules: ``values[i]`` holds from milestone ``i - 1`` to milestone ``i``. The learning rate may
    instead warm up linearly over the first ``warmup`` of the run and decay along a half cosine from
    ``learning_rates[0]`` to ``learning_rates[1]`` (``lr_decay="cosine"``, no milestones).
    """

    learning_rates: tuple[float, ...] = (1e-3, 1e-4, 1e-5)
    lr_milestones: tuple[float, ...] = RELEASED_MILESTONES
    reconstruction_weights: tuple[float, ...] = (0.1, 1.0, 10.0)  # lambda_rec; all 0 disables the loss
    reconstruction_milestones: tuple[float, ...] = RELEASED_MILESTONES
    warmup: float = 0.0  # fraction of the run over which the learning rate rises linearly from 0
    lr_decay: LrDecay = "step"
    # Resolution curriculum: train at these fractions of the crop side (the same networks on smaller
    # images), switching at the milestones; the last phase should be 1.0 (the model's own resolution).
    crop_scales: tuple[float, ...] = (1.0,)
    crop_scale_milestones: tuple[float, ...] = ()

    @classmethod
    def fine_tuning(cls, start: float, end: float, warmup: float = 0.0) -> ScheduleConfig:
        """A fine-tuning stage's schedule: warm-up over ``warmup`` of the run, then a cosine learning rate from
        ``start`` to ``end``; no reconstruction loss (the stages bring their own terms)."""
        return cls(
            learning_rates=(start, end),
            lr_milestones=(),
            lr_decay="cosine",
            warmup=warmup,
            reconstruction_weights=(0.0,),
            reconstruction_milestones=(),
        )

    def __post_init__(self) -> None:
        if self.lr_decay not in ("step", "cosine"):
            raise ConfigError(f"lr_decay must be 'step' or 'cosine', got {self.lr_decay!r}")
        if self.lr_decay == "cosine" and (len(self.learning_rates) != 2 or self.lr_milestones):
            raise ConfigError("a cosine learning rate takes two values (start, end) and no milestones")
        if not 0 <= self.warmup < 1:
            raise ConfigError(f"warmup must be a fraction of the run in [0, 1), got {self.warmup}")
        if any(not 0 < s <= 1 for s in self.crop_scales) or self.crop_scales[-1] != 1.0:
            raise ConfigError(f"crop scales must be in (0, 1] and end at 1.0, got {self.crop_scales}")
        for values, milestones, name in (
            (self.learning_rates if self.lr_decay == "step" else (0.0,), self.lr_milestones, "learning rate"),
            (self.reconstruction_weights, self.reconstruction_milestones, "reconstruction weight"),
            (self.crop_scales, self.crop_scale_milestones, "crop scale"),
        ):
            if len(values) != len(milestones) + 1:
                raise ConfigError(f"{name} schedule needs one value more than milestones")
            if list(milestones) != sorted(milestones) or any(not 0 < m < 1 for m in milestones):
                raise ConfigError(f"{name} milestones must increase within (0, 1), got {milestones}")


@dataclass(frozen=True)
class AugmentConfig:
    """Per-batch colour jitter and the random warps of the equivariance constraint."""

    jitter: JitterConfig = field(default_factory=JitterConfig)
    warp: WarpConfig = field(default_factory=WarpConfig)
    # Landmark-control-point TPS (App. F.3): chance per sample, ramped in linearly between two points
    # of training (fractions of the planned steps). The released configs switch it off (0).
    landmark_tps_ratio: float = 0.0
    landmark_tps_ramp: tuple[float, float] = (5 / 220, 10 / 220)


@dataclass(frozen=True)
class DistillConfig:
    """Distillation of a trained detector into the model's lite detector (``lmsdk distill``).

    The teacher (the detector of the run ``teacher``, frozen, with its exact BatchNorm statistics) labels the
    same jittered and warped training crops the student sees; the student learns its landmarks (squared
    distance in crop pixels) and its landmark maps (KL divergence per pixel from the teacher's maps pooled to
    the student's resolution, which carries the confidences too).
    """

    teacher: str  # the trained run whose detector is distilled (its encoder and decoder travel along)
    points: float = 1.0
    maps: float = 1.0


@dataclass(frozen=True)
class SharpenConfig:
    """Fine-tuning of a trained run's decoder for sharper, landmark-faithful images (``lmsdk sharpen``).

    The run's detector stays frozen (eval mode); the decoder (and the descriptor encoder when
    ``train_descriptors``) learns from three terms, weighted here. Half of each batch is decoded from its own
    landmarks (reconstructions), the other half from moved ones (edits):

    - ``reconstruction``: mean L1 between each crop and its reconstruction (per channel and pixel);
    - ``adversarial``: BEGAN's generator loss ``L(G)`` on reconstructions and edits, against a BEGAN
      discriminator (``began``; 16 channels wide by default, for CPU budgets) trained on real crops
      alongside, with its equilibrium controller;
    - ``gradient``: the gradient difference loss (mean L1 between the image gradients of each crop and its
      reconstruction, :func:`~lmsdk.trainer.losses.gradient_difference_loss`);
    - ``cycle``: edit consistency: the landmarks are moved at random (each with chance ``move_chance``, at
      least one per image, by up to ``move_px`` crop pixels), decoded, re-detected by the frozen detector, and
      the mean L1 distance (crop pixels, ``|dx| + |dy|``) of every re-detected landmark to where it was sent
      is the loss.
    """

    source: str  # the trained run whose decoder is sharpened
    # 20, not 1: at 1 the cycle term (about 2 crop px x 3) outweighs the L1 (about 0.1) sixty times, and 1,500
    # steps from the L2 decoder left reconstructions 0.15-0.18 from their inputs (0.09 before) in pale, saturated
    # colours; at 20, 0.107, with a 4 px edit still 0.49 of the way (0.23 before; docs/results.md)
    reconstruction: float = 20.0
    adversarial: float = 1.0
    # gradient 2 with cycle 3 drew sharper (0.286 vs 0.242 of the inputs' gradient energy) and edited a little
    # better than gradient 0 with cycle 1; cycle 1.0 beat 0.2 and 0.2 beat 0.02 (docs/results.md, "Editing you
    # can measure")
    gradient: float = 2.0
    cycle: float = 3.0
    move_px: float = 8.0
    move_chance: float = 0.3
    train_descriptors: bool = True  # on MTFL a 4 px edit went 0.578 of the way with it, 0.421 without
    # gamma 1 and a faster controller: the decoded images' energy sat near 0.7 of the crops', above BEGAN's
    # gamma 0.5, so k stayed 0 (the discriminator never pushed back; the term only rewarded smooth images that
    # are easy to autoencode); at gamma 1 k rises to 0.1-0.3 within a few hundred steps
    began: BeganConfig = field(default_factory=lambda: BeganConfig(gamma=1.0, lambda_k=0.02, width=16))

    def __post_init__(self) -> None:
        weights = {
            "reconstruction": self.reconstruction,
            "adversarial": self.adversarial,
            "gradient": self.gradient,
            "cycle": self.cycle,
        }
        if any(not w >= 0 for w in weights.values()) or not any(weights.values()):
            raise ConfigError(f"sharpen weights must be >= 0 and not all 0, got {weights}")
        if not self.move_px > 0 or not 0 < self.move_chance <= 1:
            raise ConfigError(
                f"sharpen moves need move_px > 0 and move_chance in (0, 1], got {self.move_px} and {self.move_chance}"
            )


@dataclass(frozen=True)
class GenerationConfig:
    """Landmark-conditioned generation from a trained run (``lmsdk train-generator``, paper App. G.5).

    The run's landmark model is frozen; a generator (``generator``) maps its landmarks on the training crops and a
    Gaussian latent to images, against a BEGAN discriminator (``began``), with the L1 cyclic loss between the
    landmarks detected on the generations and the condition (normalised crop units) weighted by ``cyclic``.
    """

    source: str  # the trained run whose landmarks condition the generator
    generator: GeneratorSpec = field(default_factory=GeneratorSpec)
    began: BeganConfig = field(default_factory=BeganConfig)
    cyclic: float = 10.0

    def __post_init__(self) -> None:
        if not self.cyclic >= 0:
            raise ConfigError(f"the cyclic loss weight must be >= 0, got {self.cyclic}")


@dataclass(frozen=True)
class TrainConfig:
    """Everything a training run needs; ``lmsdk train`` builds it from a preset and flags."""

    model: ModelConfig
    data: DataConfig = field(default_factory=DataConfig)
    loss: LossConfig = field(default_factory=LossConfig)
    schedule: ScheduleConfig = field(default_factory=ScheduleConfig)
    augment: AugmentConfig = field(default_factory=AugmentConfig)
    steps: int = 220_000  # upper bound; a time budget may plan fewer
    batch_size: int = 16  # global batch (split across data-parallel processes)
    max_minutes: float | None = None  # stop cleanly within this wall-clock budget
    seed: int = 0
    init: str | None = None  # start from this run's (or model folder's) weights, e.g. AFLW fine-tuning from CelebA
    device: str = "cpu"
    precision: Precision = "fp32"  # autocast; "auto": bf16 on CPUs with native bf16 units, else fp32
    channels_last: bool = True  # NHWC convolutions: about 20% faster on CPUs (docs/cpu-preset.md)
    compile: bool = False  # torch.compile the training forward (falls back to eager where unavailable)
    # Learning-rate multiplier for the scale of the detector's score maps (its last BatchNorm): with Adam a
    # scale moves about one learning rate per step, so at 1x the maps sharpen only over many thousand steps.
    head_lr_scale: float = 1.0
    ema_horizon: float = 0.0  # export an average of the weights over this fraction of the run (0: off)
    bn_batches: int = 500  # batches for the exact BatchNorm statistics (App. G.3)
    log_every: int = 10
    sample_every: int = 1000
    checkpoint_every: int = 5000
    eval_every: int = 0  # 0: only at the end; the regression error is logged when labels exist
    eval_images: int = 1000
    keep_checkpoints: int = 2
    threads: int | None = None  # torch intra-op threads (None: the CPUs this process may use, split across processes)
    distill: DistillConfig | None = None  # set: train the model's lite detector from a trained teacher
    sharpen: SharpenConfig | None = None  # set: fine-tune a trained run's decoder (lmsdk sharpen)
    generation: GenerationConfig | None = None  # set: train a landmark-conditioned generator (lmsdk train-generator)
    progress: bool = True

    def __post_init__(self) -> None:
        if self.steps < 1:
            raise ConfigError(f"steps must be positive, got {self.steps}")
        if self.batch_size < 2:
            raise ConfigError(f"batch size must be at least 2 (BatchNorm), got {self.batch_size}")
        if self.max_minutes is not None and not (math.isfinite(self.max_minutes) and self.max_minutes > 0):
            raise ConfigError(f"max minutes must be a positive number, got {self.max_minutes}")
        if self.seed < 0:
            raise ConfigError(f"seed must be a non-negative integer, got {self.seed}")
        if self.log_every < 1:
            raise ConfigError(f"log_every must be at least 1, got {self.log_every}")
        for name in ("sample_every", "checkpoint_every", "eval_every", "keep_checkpoints"):
            if getattr(self, name) < 0:
                raise ConfigError(f"{name} must be a step count, or 0 for never; got {getattr(self, name)}")
        if self.precision not in ("auto", "fp32", "bf16", "fp16"):
            raise ConfigError(f"precision must be auto, fp32, bf16 or fp16, got {self.precision!r}")
        if not 0 <= self.ema_horizon < 1:
            raise ConfigError(f"ema_horizon must be a fraction of the run in [0, 1), got {self.ema_horizon}")
        if self.device not in ("cpu", "cuda") and not self.device.startswith("cuda:"):
            raise ConfigError(f"device must be cpu or cuda, got {self.device!r}")

    def replace(self, **changes: Any) -> TrainConfig:
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        return to_dict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any], where: str = "train config") -> TrainConfig:
        return from_dict(cls, data, where)

    @classmethod
    def read(cls, path: str | os.PathLike[str], what: str = "run config") -> TrainConfig:
        """The config a run saved at ``path`` (its ``config.json``); :class:`ConfigError` naming the file and
        the field where it is not one."""
        return named(lambda: cls.from_dict(read_json(path, what), f"{path}: {what}"), path)


def stage_config(trained: TrainConfig, schedule: ScheduleConfig, **changes: Any) -> TrainConfig:
    """The config of a stage that fine-tunes a finished run (``lmsdk distill``, ``sharpen``, ``train-generator``):
    ``trained``'s data, model, losses and augmentation with the stage's own ``schedule`` (which also replaces
    any resolution curriculum), none of the other stages, no starting weights or time budget of its own, the
    discovery-only levers (the head's learning-rate scale, the weight average) reset; then ``changes``."""
    reset = {
        "schedule": schedule,
        "distill": None,
        "sharpen": None,
        "generation": None,
        "init": None,
        "max_minutes": None,
        "head_lr_scale": 1.0,
        "ema_horizon": 0.0,
    }
    return trained.replace(**(reset | changes))
