"""The speed options compute the same training step: bf16 autocast within its tolerance, torch.compile to
float accuracy, channels-last exactly the same maths."""

import pytest
import torch

from lmsdk.model import LandmarkAutoencoder
from lmsdk.trainer.sampler import step_generator
from lmsdk.trainer.speed import compile_available, resolve_precision
from lmsdk.trainer.step import training_step


def _step(forward, core, config, crops):
    core.zero_grad(set_to_none=True)
    result = training_step(forward, core, crops, config, 3, 100, step_generator(0, 3))
    result.loss.backward()
    grads = torch.cat([p.grad.flatten() for p in core.parameters()])
    return result, grads


@pytest.fixture(scope="module")
def model_and_batch(tiny_config):
    torch.manual_seed(0)
    core = LandmarkAutoencoder(tiny_config.model).to(memory_format=torch.channels_last)
    return core, torch.rand(16, 3, 48, 48)


def _relative(a: torch.Tensor, b: torch.Tensor) -> float:
    return float((a - b).norm() / b.norm())


def test_bf16_autocast_step_stays_within_its_tolerance_of_fp32(tiny_config, model_and_batch):
    # The bounds and what they stand on: docs/testing.md.
    core, crops = model_and_batch
    fp32, g32 = _step(core, core, tiny_config, crops)
    bf16, g16 = _step(core, core, tiny_config.replace(precision="bf16"), crops)
    assert bf16.loss.item() == pytest.approx(fp32.loss.item(), rel=0.01)
    points = (bf16.output.encoding.points - fp32.output.encoding.points).abs().max()
    assert 0 < points < 0.01  # bf16 really ran (not bit-identical), and the landmarks agree to 1 % of the crop
    assert torch.nn.functional.cosine_similarity(g16, g32, dim=0) > 0.95


def test_channels_last_is_the_same_maths(tiny_config, model_and_batch):
    core, crops = model_and_batch
    nhwc, g1 = _step(core, core, tiny_config, crops)
    nchw, g2 = _step(core, core, tiny_config.replace(channels_last=False), crops)
    assert nhwc.loss.item() == pytest.approx(nchw.loss.item(), rel=1e-5)
    assert _relative(g1, g2) < 1e-4


def test_the_model_compiles_into_one_graph_with_the_eager_maths(tiny_config, model_and_batch):
    """torch.compile's capture (dynamo + AOT autograd, no code generation: fast) gives the eager step."""
    core, crops = model_and_batch
    eager, g_eager = _step(core, core, tiny_config, crops)
    explanation = torch._dynamo.explain(core)(core.pad(crops), 16)
    assert explanation.graph_break_count == 0, explanation.break_reasons
    captured, g_captured = _step(torch.compile(core, backend="aot_eager"), core, tiny_config, crops)
    assert captured.loss.item() == pytest.approx(eager.loss.item(), rel=1e-5)
    assert _relative(g_captured, g_eager) < 1e-4


@pytest.mark.slow
def test_inductor_compiled_step_matches_eager(tiny_config, model_and_batch):
    """The trainer's compiled path (inductor's generated kernels; minutes of compiling on 2 cores)."""
    if compile_available() is not None:
        pytest.skip(f"torch.compile is unavailable here: {compile_available()}")
    core, crops = model_and_batch
    eager, g_eager = _step(core, core, tiny_config, crops)
    compiled, g_compiled = _step(torch.compile(core), core, tiny_config, crops)
    # Fused kernels reorder sums, so not bit for bit (the bounds: docs/testing.md).
    assert compiled.loss.item() == pytest.approx(eager.loss.item(), rel=1e-4)
    assert (compiled.output.encoding.points - eager.output.encoding.points).abs().max() < 1e-4
    assert _relative(g_compiled, g_eager) < 1e-3


def test_auto_precision_picks_bf16_only_where_the_cpu_has_it():
    cpu = torch.device("cpu")
    native = bool(torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported())
    assert resolve_precision("auto", cpu) == ("bf16" if native else "fp32")
    assert resolve_precision("fp32", cpu) == "fp32" and resolve_precision("bf16", cpu) == "bf16"
