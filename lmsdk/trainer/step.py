"""The training graph of one step: jitter, pad, warp, one forward over originals + warped copies, losses.

With video (frame pairs and their optical flow), the second frames join the same forward pass and two
more terms apply: equivariance with the flow as the warp, and the flow preference (App. C).
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import Tensor, nn

from lmsdk.model.autoencoder import AutoencoderOutput, LandmarkAutoencoder
from lmsdk.ops.color import color_jitter
from lmsdk.ops.coords import crop_to_padded, to_grid_sample
from lmsdk.ops.warps import Warp, sample_warp, warp_images
from lmsdk.trainer import losses
from lmsdk.trainer.config import TrainConfig
from lmsdk.trainer.schedules import landmark_tps_probability, reconstruction_weight

LOSS_TERMS = ("concentration", "separation", "equivariance", "reconstruction", "weight_decay")
FLOW_TERMS = ("flow_equivariance", "flow_preference")


class FramePair(NamedTuple):
    """The second frames of a batch of video pairs and the flows between the frames."""

    crops: Tensor  # (B, 3, S, S) frames t + gap, RGB in [0, 1]
    forward_flow: Tensor  # (B, 2, S, S) from frame t to t + gap, normalised crop units
    backward_flow: Tensor  # (B, 2, S, S) from frame t + gap to t


class AugmentedBatch(NamedTuple):
    targets: Tensor  # (B, 3, S, S) jittered crops: the reconstruction target
    inputs: Tensor  # (2B or 3B, 3, P, P) padded originals, their warped copies [, the second frames]
    warp: Warp  # the sampling maps from the warped copies to the originals


class StepResult(NamedTuple):
    loss: Tensor  # weighted total
    terms: dict[str, Tensor]  # unweighted terms
    weights: dict[str, float]
    batch: AugmentedBatch
    output: AutoencoderOutput


def augment(
    core: LandmarkAutoencoder,
    crops: Tensor,
    config: TrainConfig,
    step: int,
    total: int,
    generator: torch.Generator,
    second: Tensor | None = None,
) -> AugmentedBatch:
    """Colour jitter, mean-edge padding and the random warps for a batch of ``(B, 3, S, S)`` crops.

    ``second`` (video pairs) is jittered with the same draw and appended, padded, to the inputs.
    """
    model = config.model
    b = crops.shape[0]
    jittered = color_jitter(crops if second is None else torch.cat([crops, second]), config.augment.jitter, generator)
    targets = jittered[:b]
    padded = core.pad(targets)
    p_landmark = landmark_tps_probability(config.augment, step, total)
    landmarks = None
    if p_landmark > 0:
        # Control points: the landmarks the current model finds (App. F.3). This extra pass must not count
        # towards BatchNorm statistics (it would skew the exact recomputation), so they are restored after it.
        saved = [b.clone() for b in core.detector.buffers()]
        with torch.no_grad():
            points = core.detector(padded).points
        with torch.no_grad():
            for buffer, value in zip(core.detector.buffers(), saved, strict=True):
                buffer.copy_(value)
        landmarks = to_grid_sample(crop_to_padded(points, model.crop_size, model.padded_size))
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
        parts.append(core.pad(jittered[b:]))
    inputs = torch.cat(parts)
    if config.channels_last:
        inputs = inputs.contiguous(memory_format=torch.channels_last)
    return AugmentedBatch(targets, inputs, warp)


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

    ``model`` is what runs the forward (the autoencoder itself or its DistributedDataParallel wrapper);
    ``core`` is the bare autoencoder. Concentration and separation see every image of the forward pass, as
    in the released code; the decoder reconstructs the originals only.
    """
    batch = augment(core, crops, config, step, total, generator, None if pair is None else pair.crops)
    b = crops.shape[0]
    dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(config.precision)
    with torch.autocast(crops.device.type, dtype=dtype or torch.float32, enabled=dtype is not None):
        output: AutoencoderOutput = model(batch.inputs, b)
    enc = output.encoding
    m = config.model
    terms = {
        "concentration": losses.concentration_loss(enc.spread),
        "separation": losses.separation_loss(enc.points, config.loss.separation_sigma),
        "equivariance": losses.equivariance_loss(
            enc.points[:b], enc.points[b : 2 * b], batch.warp, m.crop_size, m.padded_size
        ),
        "reconstruction": losses.reconstruction_loss(output.reconstruction.float(), batch.targets),
        "weight_decay": losses.weight_decay_loss(core.named_parameters()),
    }
    if pair is not None:
        first, second = enc.points[:b], enc.points[2 * b :]
        terms["flow_equivariance"] = losses.flow_equivariance_loss(
            first, second, pair.backward_flow, m.crop_size, m.padded_size
        )
        terms["flow_preference"] = losses.flow_preference_loss(first, pair.forward_flow)
    weights = loss_weights(config, step, total)
    total_loss = sum(weights[k] * terms[k] for k in terms)
    return StepResult(total_loss, terms, weights, batch, output)  # type: ignore[arg-type]
