"""The training graph of one step: jitter, pad, warp, one forward over originals + warped copies, losses.

With video (frame pairs and their optical flow), the second frames join the same forward pass and two
more terms apply to the pairs: equivariance with the flow as the warp, and the flow preference (App. C). A batch
may mix images and pairs: the pairs' first frames are its last crops, the flow terms see those alone.

During a resolution curriculum (:attr:`ScheduleConfig.crop_scales`) the step resizes its crops to the
scheduled side first; the networks are fully convolutional and every loss works in normalised
coordinates, so the same weights train at every size.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from lmsdk.model.autoencoder import AutoencoderOutput, LandmarkAutoencoder
from lmsdk.ops.color import color_jitter
from lmsdk.ops.coords import crop_to_padded, to_grid_sample
from lmsdk.ops.warps import Warp, sample_warp, warp_images
from lmsdk.trainer import losses
from lmsdk.trainer.config import TrainConfig
from lmsdk.trainer.schedules import crop_scale, landmark_tps_probability, reconstruction_weight
from lmsdk.trainer.speed import autocast

LOSS_TERMS = ("concentration", "separation", "equivariance", "reconstruction", "weight_decay")
FLOW_TERMS = ("flow_equivariance", "flow_preference")


class FramePair(NamedTuple):
    """The second frames of the video pairs of a batch and the flows between the frames; the pairs' first frames
    are the last ``n`` crops of the batch (all of them in a video-only batch)."""

    crops: Tensor  # (n, 3, S, S) frames t + gap, RGB in [0, 1]
    forward_flow: Tensor  # (n, 2, S, S) from frame t to t + gap, normalised crop units
    backward_flow: Tensor  # (n, 2, S, S) from frame t + gap to t

    def resized(self, size: int) -> FramePair:
        """The frames and flows at ``size`` px (flows are in normalised units, so only resampled)."""
        return FramePair(*(_resize(t, size) for t in self))


class AugmentedBatch(NamedTuple):
    targets: Tensor  # (B, 3, s, s) jittered crops: the reconstruction target
    inputs: Tensor  # (2B [+ n], 3, p, p) padded originals, their warped copies [, the n second frames of pairs]
    warp: Warp  # the sampling maps from the warped copies to the originals
    crop_size: int  # s: the model's crop side S, or less during a resolution curriculum
    padded_size: int  # p


class StepResult(NamedTuple):
    loss: Tensor  # weighted total
    terms: dict[str, Tensor]  # unweighted terms
    weights: dict[str, float]
    batch: AugmentedBatch
    output: AutoencoderOutput


def _resize(images: Tensor, size: int) -> Tensor:
    """``(B, C, H, W)`` -> ``(B, C, size, size)``, area-averaged when shrinking (no aliasing)."""
    if images.shape[-1] == size:
        return images
    return F.interpolate(images, size=(size, size), mode="area")


def augment(
    core: LandmarkAutoencoder,
    crops: Tensor,
    config: TrainConfig,
    step: int,
    total: int,
    generator: torch.Generator,
    second: Tensor | None = None,
    scale: float | None = None,
) -> AugmentedBatch:
    """Resize to the curriculum's side, colour jitter, mean-edge padding and the random warps for a batch of
    ``(B, 3, S, S)`` crops.

    ``second`` (the ``(n, 3, S, S)`` second frames of the batch's last ``n`` crops, video pairs) is jittered in the
    same call (the same draw as its first frame when the jitter is per batch, the default; a draw of its own with
    ``JitterConfig.per_image``) and appended, padded, to the inputs. ``scale``
    overrides the curriculum's crop scale (1.0: the model's own resolution, as exact BN statistics use).
    """
    scale = crop_scale(config.schedule, step, total) if scale is None else scale
    crop, padded_size = config.model.scaled_sizes(scale)
    crops = _resize(crops, crop)
    b = crops.shape[0]
    both = crops if second is None else torch.cat([crops, _resize(second, crop)])
    jittered = color_jitter(both, config.augment.jitter, generator)
    targets = jittered[:b]
    padded = core.pad(targets, padded_size)
    p_landmark = landmark_tps_probability(config.augment, step, total)
    landmarks = None
    if p_landmark > 0:
        # Control points: the landmarks the current model finds (App. F.3). This extra pass must not count
        # towards BatchNorm statistics (it would skew the exact recomputation), so they are restored after it.
        saved = [b.clone() for b in core.detector.buffers()]
        with torch.no_grad():
            points = core.detector(padded, crop).points
        with torch.no_grad():
            for buffer, value in zip(core.detector.buffers(), saved, strict=True):
                buffer.copy_(value)
        landmarks = to_grid_sample(crop_to_padded(points, crop, padded_size))
    warp = sample_warp(
        b,
        config.augment.warp,
        generator=generator,
        device=crops.device,
        landmarks=landmarks,
        landmark_probability=p_landmark,
    )
    parts = [padded, warp_images(padded, warp)]
    if second is not None:
        parts.append(core.pad(jittered[b:], padded_size))
    inputs = torch.cat(parts)
    if config.channels_last:
        inputs = inputs.contiguous(memory_format=torch.channels_last)
    return AugmentedBatch(targets, inputs, warp, crop, padded_size)


def loss_weights(config: TrainConfig, step: int, total: int) -> dict[str, float]:
    lc = config.loss
    return {
        "concentration": lc.concentration,
        "separation": lc.separation,
        "equivariance": lc.equivariance,
        "reconstruction": reconstruction_weight(config.schedule, step, total),
        "weight_decay": lc.weight_decay,
        "flow_equivariance": lc.flow_equivariance,
        "flow_preference": lc.flow_preference,
    }


def training_step(
    model: nn.Module,
    core: LandmarkAutoencoder,
    crops: Tensor,
    config: TrainConfig,
    step: int,
    total: int,
    generator: torch.Generator,
    pair: FramePair | None = None,
) -> StepResult:
    """Forward the training graph and the loss of one step (no backward).

    ``model`` is what runs the forward (the autoencoder itself, its compiled form or its
    DistributedDataParallel wrapper); ``core`` is the bare autoencoder. Concentration and separation see
    every image of the forward pass, as in the released code; the decoder reconstructs the originals only.
    """
    batch = augment(core, crops, config, step, total, generator, None if pair is None else pair.crops)
    b, crop, padded = crops.shape[0], batch.crop_size, batch.padded_size
    if pair is not None:
        pair = pair.resized(crop)
    with autocast(crops.device.type, config.precision):
        # The model's own size goes as None so that the default (exported) code path is the one trained.
        output: AutoencoderOutput = model(batch.inputs, b, None if crop == config.model.crop_size else crop)
    enc = output.encoding
    terms = {
        "concentration": losses.concentration_loss(enc.spread),
        "separation": losses.separation_loss(enc.points, config.loss.separation_sigma),
        "equivariance": losses.equivariance_loss(enc.points[:b], enc.points[b : 2 * b], batch.warp, crop, padded),
        # A sum over pixels: counted in the model's own resolution, so lambda_rec means the same at every size.
        "reconstruction": losses.reconstruction_loss(output.reconstruction.float(), batch.targets)
        * (config.model.crop_size / crop) ** 2,
        "weight_decay": losses.weight_decay_loss(core.named_parameters()),
    }
    if pair is not None:  # the pairs' first frames are the batch's last crops
        first, second = enc.points[b - len(pair.crops) : b], enc.points[2 * b :]
        terms["flow_equivariance"] = losses.flow_equivariance_loss(first, second, pair.backward_flow, crop, padded)
        terms["flow_preference"] = losses.flow_preference_loss(first, pair.forward_flow)
    weights = loss_weights(config, step, total)
    return StepResult(losses.weighted_sum(terms, weights), terms, weights, batch, output)
