"""The training graph: doubled batch, warps (grid and landmark control points), losses."""

import dataclasses

import torch

from lmsdk.model import LandmarkAutoencoder
from lmsdk.trainer.config import AugmentConfig
from lmsdk.trainer.sampler import step_generator
from lmsdk.trainer.step import augment, training_step


def test_landmark_control_points_join_the_warps_once_ramped_in(tiny_config):
    config = tiny_config.replace(augment=AugmentConfig(landmark_tps_ratio=0.5, landmark_tps_ramp=(0.1, 0.2)))
    model = LandmarkAutoencoder(config.model)
    crops = torch.rand(16, 3, 48, 48)
    early = augment(model, crops, config, step=5, total=100, generator=step_generator(0, 5))
    assert early.warp.landmark_tps is None  # before the ramp: the regular grid only
    late = augment(model, crops, config, step=50, total=100, generator=step_generator(0, 50))
    assert late.warp.landmark_tps is not None and 0 < late.warp.use_landmarks.sum() < 16
    buffers = [b.clone() for b in model.detector.buffers()]
    model.train()
    augment(model, crops, config, step=50, total=100, generator=step_generator(0, 50))
    for before, after in zip(buffers, model.detector.buffers(), strict=True):
        assert torch.equal(before, after)  # the control-point pass leaves BatchNorm statistics alone


def test_step_forwards_originals_and_warped_copies_together(tiny_config):
    model = LandmarkAutoencoder(tiny_config.model)
    crops = torch.rand(4, 3, 48, 48)
    result = training_step(model, model, crops, tiny_config, 0, 100, step_generator(0, 0))
    assert result.batch.inputs.shape[0] == 8 and result.output.reconstruction.shape == (4, 3, 48, 48)
    assert set(result.terms) == {"concentration", "separation", "equivariance", "reconstruction", "weight_decay"}
    assert all(torch.isfinite(t) for t in result.terms.values())
    expected = sum(result.weights[k] * result.terms[k] for k in result.terms)
    assert torch.allclose(result.loss, expected)


def test_zero_reconstruction_weight_removes_the_decoder_gradient(tiny_config):
    """lambda_rec = 0 is the paper's "w/o L_recon" ablation: the decoder then gets no gradient."""
    schedule = dataclasses.replace(tiny_config.schedule, reconstruction_weights=(0.0, 0.0))
    config = tiny_config.replace(schedule=schedule, loss=dataclasses.replace(tiny_config.loss, weight_decay=0.0))
    model = LandmarkAutoencoder(config.model)
    result = training_step(model, model, torch.rand(4, 3, 48, 48), config, 0, 100, step_generator(0, 0))
    result.loss.backward()
    grads = [p.grad for p in model.decoder.parameters() if p.grad is not None]
    assert all(g.abs().max() == 0 for g in grads)
