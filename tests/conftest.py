"""Shared fixtures: a tiny model config and a tiny trained run, built once per session."""

from __future__ import annotations

import os

import pytest
import torch

os.environ.setdefault("OMP_NUM_THREADS", "2")


@pytest.fixture(autouse=True)
def _seed() -> None:
    torch.manual_seed(0)


@pytest.fixture(scope="session")
def tiny_config():
    from lmsdk.trainer import get_preset

    # Two threads wherever the suite runs (CI's machines have two cores): the trained fixtures, and the figures
    # tests assert on them, do not follow the host's core count (summation order follows the thread split).
    return get_preset("tiny").replace(progress=False, threads=2)


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory, tiny_config):
    """A tiny model trained for a few steps (the shape of a real run, not a good model)."""
    from lmsdk.trainer import train

    run_dir = tmp_path_factory.mktemp("runs") / "tiny"
    result = train(
        tiny_config.replace(steps=12, sample_every=6, checkpoint_every=6, eval_every=6, eval_images=90, bn_batches=2),
        run_dir,
    )
    assert not result.interrupted
    return run_dir


@pytest.fixture(scope="session")
def artifact(tmp_path_factory, tiny_run):
    """The tiny run exported with fp16 graphs."""
    from lmsdk.export import export_run

    out = tmp_path_factory.mktemp("artifacts") / "tiny"
    export_run(tiny_run, out, fp16=True)
    return out


@pytest.fixture(scope="session")
def priorless_artifact(tmp_path_factory, artifact):
    """The tiny artifact as lmsdk wrote it before the prior over the codes: no prior.onnx, no manifest entry."""
    import json
    import shutil

    out = tmp_path_factory.mktemp("artifacts") / "priorless"
    shutil.copytree(artifact, out)
    (out / "prior.onnx").unlink()
    manifest = json.loads((out / "manifest.json").read_text())
    del manifest["files"]["prior"], manifest["prior"], manifest["parity"]["prior.fp32"]
    (out / "manifest.json").write_text(json.dumps(manifest))
    return out


LEARNED_STEPS = 250


@pytest.fixture(scope="session")
def learned_run(tmp_path_factory, tiny_config):
    """The tiny preset trained for 250 steps on synthetic faces (about two minutes): it has learned."""
    from lmsdk.trainer import train

    run_dir = tmp_path_factory.mktemp("runs") / "learned"
    train(
        tiny_config.replace(
            steps=LEARNED_STEPS, sample_every=0, checkpoint_every=0, eval_every=0, eval_images=0, bn_batches=10
        ),
        run_dir,
    )
    return run_dir


@pytest.fixture(scope="session")
def learned_artifact(tmp_path_factory, learned_run):
    from lmsdk.export import export_run

    out = tmp_path_factory.mktemp("artifacts") / "learned"
    export_run(learned_run, out)
    return out


GENERATOR_STEPS = 4


def _generator_run(tmp_path_factory, source, start_from: str, name: str):
    """A tiny generator trained for a few steps on the landmarks of ``source``, BEGAN starting from
    ``start_from``."""
    from lmsdk.trainer import GenerationConfig, fine_tuning_config, train

    run_dir = tmp_path_factory.mktemp("runs") / name
    config = fine_tuning_config(
        GenerationConfig.preset(str(source), "tiny", start_from=start_from),
        steps=GENERATOR_STEPS,
        batch_size=4,
        progress=False,
        sample_every=2,
        checkpoint_every=2,
    )
    result = train(config.replace(log_every=1), run_dir)
    assert not result.interrupted
    return run_dir


@pytest.fixture(scope="session")
def generator_run(tmp_path_factory, tiny_run):
    """A tiny generator trained from noise for a few steps on the tiny run's landmarks (the paper's way)."""
    return _generator_run(tmp_path_factory, tiny_run, "noise", "generator")


def _exported(tmp_path_factory, run_dir, name: str):
    from lmsdk.export import export_run

    out = tmp_path_factory.mktemp("artifacts") / name
    export_run(run_dir, out)
    return out


@pytest.fixture(scope="session")
def generator_artifact(tmp_path_factory, generator_run):
    """The tiny generator run exported (detector, encoder, decoder, prior and generator)."""
    return _exported(tmp_path_factory, generator_run, "generator")


@pytest.fixture(scope="session")
def prior_generator_run(tmp_path_factory, tiny_run):
    """BEGAN started from the tiny run's prior and decoder (the default), trained for a few steps."""
    return _generator_run(tmp_path_factory, tiny_run, "prior", "prior-generator")


@pytest.fixture(scope="session")
def prior_generator_artifact(tmp_path_factory, prior_generator_run):
    """The prior-started generator run exported: its generator.onnx beside the prior and the original decoder."""
    return _exported(tmp_path_factory, prior_generator_run, "prior-generator")
