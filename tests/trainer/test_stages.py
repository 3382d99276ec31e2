"""Every stage trains, resumes after SIGKILL to the very run it would have been without it, and its run directory
and config read as before (runs written by an earlier lmsdk: tests/fixtures)."""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from lmsdk.model import load_model
from lmsdk.model.generator import GeneratorSpec
from lmsdk.trainer import (
    DistillConfig,
    FineTuneConfig,
    GenerationConfig,
    SharpenConfig,
    config_from_dict,
    fine_tuning_config,
    train,
)
from lmsdk.trainer.stages import STAGES, kind_of

FIXTURES = Path(__file__).parents[1] / "fixtures"
SHORT = {"steps": 4, "batch_size": 4, "bn_batches": 2, "checkpoint_every": 2, "sample_every": 0, "log_every": 1}
SHORT |= {"eval_every": 0, "eval_images": 0, "progress": False}

# Trains the config in argv[1] into argv[2] and SIGKILLs itself right after its first checkpoint is complete.
KILLED_AFTER_FIRST_CHECKPOINT = """
import json, os, signal, sys
import lmsdk.trainer.run as run
from lmsdk.trainer import config_from_dict, train
save = run.save_checkpoint
def save_then_die(*args, **kwargs):
    save(*args, **kwargs)
    os.kill(os.getpid(), signal.SIGKILL)
run.save_checkpoint = save_then_die
train(config_from_dict(json.loads(open(sys.argv[1]).read())), sys.argv[2])
"""


def _config(kind, tiny_config, source):
    settings = {
        "distill": DistillConfig(str(source), arch="lite"),
        "sharpen": SharpenConfig(str(source)),
        "generate": GenerationConfig.preset(str(source), "tiny"),
    }
    if kind in settings:
        return fine_tuning_config(settings[kind], **SHORT)
    stage = {"finetune": FineTuneConfig(str(source))}.get(kind)
    return tiny_config.replace(**SHORT, **({"stage": stage} if stage else {}))


def _rows(run_dir):
    rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    return [{k: v for k, v in r.items() if k.startswith(("loss", "began/"))} for r in rows if "loss" in r]


def _weights(run_dir):
    """Every network the finished run wrote: the landmark model, and the generator where there is one."""
    tensors = dict(load_model(run_dir / "model").state_dict())
    if (run_dir / "model" / "generator.safetensors").is_file():
        from lmsdk.model.generator_io import load_generator

        tensors |= {f"generator.{k}": v for k, v in load_generator(run_dir / "model").state_dict().items()}
    return tensors


# Generation (BEGAN's balance, a kept generator) runs by default; the others with -m slow (about a minute each).
KINDS = [pytest.param(kind, marks=[] if kind == "generate" else [pytest.mark.slow]) for kind in map(kind_of, STAGES)]


@pytest.mark.parametrize("kind", KINDS)
def test_a_stage_killed_after_a_checkpoint_resumes_to_the_uninterrupted_run(tmp_path, tiny_config, tiny_run, kind):
    config = _config(kind, tiny_config, tiny_run)
    assert config.stage.kind == kind
    train(config, tmp_path / "straight")
    (tmp_path / "config.json").write_text(json.dumps(config.to_dict()))
    killed = subprocess.run(
        [sys.executable, "-c", KILLED_AFTER_FIRST_CHECKPOINT, str(tmp_path / "config.json"), str(tmp_path / "cut")],
        capture_output=True,
        text=True,
        env={**os.environ, "OMP_NUM_THREADS": "2"},
        timeout=600,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert sorted(p.name for p in (tmp_path / "cut" / "checkpoints").iterdir()) == ["step_000002"]
    resumed = train(config, tmp_path / "cut", resume=True)
    assert resumed.steps == 4 and not resumed.interrupted
    assert _rows(tmp_path / "cut") == _rows(tmp_path / "straight")
    straight, cut = _weights(tmp_path / "straight"), _weights(tmp_path / "cut")
    assert straight.keys() == cut.keys()
    for name, value in straight.items():
        assert torch.equal(value, cut[name]), name


@pytest.mark.parametrize("kind", ["distill", "sharpen", "generation"])
def test_a_stage_config_an_earlier_lmsdk_wrote_reads_as_that_stage(kind):
    data = json.loads((FIXTURES / f"legacy_{kind}_config.json").read_text())
    config = config_from_dict(data)
    old = data[kind]
    assert config.stage.source == old.get("source", old.get("teacher")) == "tests/fixtures/legacy_run"
    assert {k: v for k, v in json.loads(json.dumps(config.to_dict())).items() if k != "stage"} == {
        k: v for k, v in data.items() if k not in ("stage", "init", "distill", "sharpen", "generation")
    }
    if kind == "distill":
        assert config.stage.arch == "lite" and (config.stage.points, config.stage.maps) == (old["points"], old["maps"])
    if kind == "sharpen":
        assert config.stage.began.gamma == old["began"]["gamma"] == 1.0
    if kind == "generation":
        assert config.stage.generator == GeneratorSpec.from_dict(old["generator"])
        assert config.stage.cyclic == old["cyclic"]
