"""lmsdk train-generator starts BEGAN from the prior and the run's decoder by default: at step 0 it draws exactly what
the exported prior and decoder draw; training moves its copy of the decoder, never the source run; --start-from
noise is the paper's generator; the choice is recorded and read back (resuming: tests/trainer/test_stages.py)."""

import contextlib
import hashlib
import json
from functools import partial

import pytest
import torch

from lmsdk.errors import ConfigError
from lmsdk.export.export import _training_crops
from lmsdk.export.prior import fit_run_prior
from lmsdk.model import load_model
from lmsdk.model.generator import LandmarkGenerator
from lmsdk.model.generator_io import load_generator
from lmsdk.model.prior import DescriptorPrior
from lmsdk.model.prior_generator import PriorDecoderGenerator
from lmsdk.trainer import GenerationConfig, config_from_dict, fine_tuning_config, train
from lmsdk.trainer.stage import StepContext
from lmsdk.trainer.stages import make_stage
from lmsdk.trainer.stages.generation import FROM_PRIOR, RECONSTRUCTION, Generation


def _export_fit(run_dir):
    """The prior lmsdk export fits for the run ``run_dir``."""
    model = load_model(run_dir / "model")
    return fit_run_prior(model, partial(_training_crops, run_dir, model.config.crop_size))


def _holds_the_prior(generator: PriorDecoderGenerator, fit) -> bool:
    """Whether the generator's prior holds the numbers of ``fit`` as DescriptorPrior (export's graph) does."""
    mine = generator.prior.state_dict()
    return all(torch.equal(mine[name], value) for name, value in DescriptorPrior(fit).state_dict().items())


def _draws(k: int, z: int, n: int = 6):
    rng = torch.Generator().manual_seed(7)
    return 0.2 + 0.6 * torch.rand(n, k, 2, generator=rng), torch.randn(n, z, generator=rng)


def test_began_starts_from_exactly_what_the_exported_prior_and_decoder_draw(tiny_run):
    config = fine_tuning_config(GenerationConfig.preset(str(tiny_run), "tiny"), batch_size=4)
    assert config.stage.start_from == "prior"
    nets = make_stage(config).build(torch.device("cpu"))
    generator = nets.kept["generator"]
    assert isinstance(generator, PriorDecoderGenerator) and nets.trained is generator
    fit = _export_fit(tiny_run)
    assert _holds_the_prior(generator, fit)  # the prior export writes, number for number
    model = load_model(tiny_run / "model")
    points, latent = _draws(model.config.num_landmarks, fit.latent_dim)
    with torch.no_grad():
        expected = model.decoder(points, DescriptorPrior(fit)(points, latent))
        assert torch.equal(generator.train()(points, latent), expected)
    trained = {id(p) for group in nets.groups for p in group["params"]}
    assert trained == {id(p) for p in generator.decoder.parameters()}  # the decoder copy trains, nothing else


def _digests(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()}


def test_training_moves_the_decoder_copy_and_never_the_source_run(tiny_run, prior_generator_run, tmp_path):
    source = _digests(tiny_run / "model")
    config = fine_tuning_config(GenerationConfig.preset(str(tiny_run), "tiny"), steps=2, batch_size=4)
    train(config.replace(progress=False, checkpoint_every=0, sample_every=0), tmp_path / "gen")
    assert _digests(tiny_run / "model") == source
    original, fit = load_model(tiny_run / "model").state_dict(), _export_fit(tiny_run)
    for run_dir in (tmp_path / "gen", prior_generator_run):
        frozen = load_model(run_dir / "model").state_dict()
        assert all(torch.equal(frozen[k], v) for k, v in original.items())  # the landmark model, as trained
        generator = load_generator(run_dir / "model")
        assert isinstance(generator, PriorDecoderGenerator)
        decoder = generator.decoder.state_dict()
        moved = [k for k in decoder if not torch.equal(decoder[k], original[f"decoder.{k}"])]
        assert moved and all(k.endswith(("weight", "bias")) for k in moved)  # BatchNorm's statistics stay
        assert _holds_the_prior(generator, fit)  # fixed


def test_started_from_noise_it_is_the_papers_generator(generator_run):
    assert isinstance(load_generator(generator_run / "model"), LandmarkGenerator)
    assert json.loads((generator_run / "config.json").read_text())["stage"]["start_from"] == "noise"


@pytest.mark.parametrize("start_from", ["prior", "noise"])
def test_the_start_is_recorded_and_read_back(tiny_run, start_from):
    config = fine_tuning_config(GenerationConfig.preset(str(tiny_run), "tiny", start_from=start_from))
    data = json.loads(json.dumps(config.to_dict()))
    assert data["stage"]["start_from"] == start_from and config_from_dict(data) == config


def test_a_generator_run_written_before_the_choice_started_from_noise(tiny_run):
    data = json.loads(json.dumps(fine_tuning_config(GenerationConfig.preset(str(tiny_run), "tiny")).to_dict()))
    del data["stage"]["start_from"], data["stage"]["reconstruction"]
    stage = config_from_dict(data).stage
    assert stage.start_from == "noise" and stage.reconstruction == 0


def test_a_prior_run_written_before_the_anchor_reads_without_it(tiny_run):
    data = json.loads(json.dumps(fine_tuning_config(GenerationConfig.preset(str(tiny_run), "tiny")).to_dict()))
    assert data["stage"]["reconstruction"] == RECONSTRUCTION  # resolved and recorded
    del data["stage"]["reconstruction"]
    stage = config_from_dict(data).stage
    assert stage.start_from == "prior" and stage.reconstruction == 0  # resumes as it was trained


def test_the_reconstruction_anchor_is_the_priors_default_and_refused_from_noise():
    assert GenerationConfig("run").reconstruction == RECONSTRUCTION
    assert GenerationConfig("run", start_from="noise").reconstruction == 0
    assert GenerationConfig.preset("run", "tiny", start_from="prior", reconstruction=0).reconstruction == 0
    with pytest.raises(ConfigError, match="no codes to reconstruct crops from"):
        GenerationConfig("run", start_from="noise", reconstruction=1.0)
    with pytest.raises(ConfigError, match="reconstruction weight must be >= 0"):
        GenerationConfig("run", reconstruction=-1.0)


def test_from_the_prior_the_controller_is_that_of_sharpen_so_that_k_moves():
    prior, noise = GenerationConfig.preset("run", "cpu"), GenerationConfig.preset("run", "cpu", start_from="noise")
    assert (prior.began.gamma, prior.began.lambda_k) == (FROM_PRIOR["gamma"], FROM_PRIOR["lambda_k"])
    assert (noise.began.gamma, noise.began.lambda_k) == (0.5, 1e-3)  # BEGAN's, as the paper trains from noise
    assert prior.began.width == noise.began.width == 16
    assert GenerationConfig.preset("run", "cpu", lr=3e-5).began.lr == 3e-5


def _anchor_loss(tiny_run, weight):
    """One generator step's loss at anchor ``weight`` on 4 random crops (which require grad), and its parts."""
    config = fine_tuning_config(GenerationConfig.preset(str(tiny_run), "tiny", reconstruction=weight), batch_size=4)
    stage = make_stage(config)
    nets = stage.build(torch.device("cpu"))
    side = config.model.crop_size
    crops = torch.rand(4, 3, side, side, generator=torch.Generator().manual_seed(3)).requires_grad_(True)
    at = StepContext(0, 2, nets.trained, torch.Generator().manual_seed(0), contextlib.nullcontext)
    return config, nets, crops, stage.loss(nets, crops, None, at)


def test_without_the_anchor_there_is_no_reconstruction_term(tiny_run):
    _, _, _, loss = _anchor_loss(tiny_run, 0.0)
    assert set(loss.terms) == {"discriminator", "generator", "cyclic"}


def test_the_anchor_is_the_l1_of_the_decoder_drawing_each_crops_own_code(tiny_run):
    weight = 5.0
    config, nets, crops, loss = _anchor_loss(tiny_run, weight)
    with torch.no_grad():
        code = nets.core.eval().encode(crops)
        drawn = nets.kept["generator"].decoder(code.points, code.descriptors)
    assert loss.terms["reconstruction"].item() == pytest.approx((drawn - crops).abs().mean().item(), rel=1e-5)
    unanchored = sum(loss.terms[k] for k in ("discriminator", "generator")) + config.stage.cyclic * loss.terms["cyclic"]
    assert loss.total.item() == pytest.approx((unanchored + weight * loss.terms["reconstruction"]).item(), rel=1e-5)
    nets.trained.zero_grad()
    loss.terms["reconstruction"].backward()
    decoder_grads = [p.grad for p in nets.kept["generator"].decoder.parameters() if p.requires_grad]
    assert any(g is not None and g.abs().sum() > 0 for g in decoder_grads)  # it trains the decoder copy
    assert all(p.grad is None for p in nets.core.parameters())  # and nothing of the landmark model
    # The crops get exactly the gradient of the L1's target: the codes are the frozen encoder's, so nothing flows
    # back through the encoder into the crops (an encoder with grad would add to this)
    assert crops.grad is not None
    target_only = -torch.sign(drawn - crops.detach()) / crops.numel()
    assert torch.allclose(crops.grad, target_only, atol=1e-9)


def test_a_start_that_is_not_one_is_refused(tiny_config):
    with pytest.raises(ConfigError, match="start from 'gan': one of prior, noise"):
        GenerationConfig("run", start_from="gan")  # type: ignore[arg-type]
    descriptorless = tiny_config.replace(model=tiny_config.model.replace(feature=None, descriptor_dim=0))
    with pytest.raises(ConfigError, match="no descriptors, so no prior; start from noise"):
        Generation.setup(descriptorless, GenerationConfig("run"))
    Generation.setup(descriptorless, GenerationConfig("run", start_from="noise"))
