"""Every stage trains, resumes after SIGKILL to the very run it would have been without it and exports; configs and
checkpoints an earlier lmsdk wrote read as today's (a whole run of then: tests/test_legacy_run.py)."""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from lmsdk.export import export_run
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
        "generate": GenerationConfig.preset(str(source), "tiny"),  # BEGAN from the prior and the run's decoder
        "generate:noise": GenerationConfig.preset(str(source), "tiny", start_from="noise"),
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
KINDS.append(pytest.param("generate:noise", marks=[pytest.mark.slow]))


@pytest.mark.parametrize("kind", KINDS)
def test_a_stage_killed_after_a_checkpoint_resumes_to_the_uninterrupted_run(tmp_path, tiny_config, tiny_run, kind):
    config = _config(kind, tiny_config, tiny_run)
    assert config.stage.kind == kind.partition(":")[0]
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
    manifest = export_run(tmp_path / "cut", tmp_path / "artifact").manifest
    assert manifest.num_landmarks == config.model.num_landmarks
    assert (manifest.generator is not None) == kind.startswith("generate")


@pytest.mark.parametrize("kind", ["distill", "sharpen", "generation"])
def test_a_stage_config_an_earlier_lmsdk_wrote_reads_as_that_stage(kind):
    data = json.loads((FIXTURES / f"legacy_{kind}_config.json").read_text())
    config = config_from_dict(data)
    old = data[kind]
    assert config.stage.source == old.get("source", old.get("teacher")) == "tests/fixtures/legacy_run"
    expected = {k: v for k, v in data.items() if k not in ("stage", "init", "distill", "sharpen", "generation")}
    # the data fields added since read as that lmsdk trained: one source, the flow at the crop size
    expected["data"] = {"more_sources": [], "video_share": 0.5, "flow_cache": None, "video_flow_size": 0} | data["data"]
    assert {k: v for k, v in json.loads(json.dumps(config.to_dict())).items() if k != "stage"} == expected
    if kind == "distill":
        assert config.stage.arch == "lite" and (config.stage.points, config.stage.maps) == (old["points"], old["maps"])
    if kind == "sharpen":
        assert config.stage.began.gamma == old["began"]["gamma"] == 1.0
    if kind == "generation":
        assert config.stage.generator == GeneratorSpec.from_dict(old["generator"])
        assert config.stage.cyclic == old["cyclic"] and config.stage.start_from == "noise"  # all there was then


def test_the_old_began_checkpoint_layouts_become_the_balances():
    """A sharpening's disc.*/disc_opt.* tensors and a generation's second parameter group (with k in the progress)
    are read as today's ``began`` module and optimizer; the run's own optimizer keeps its parameters."""
    from lmsdk.trainer.legacy import upgrade_checkpoint

    t = torch.ones(1)
    meta = {"state": {"step": 2, "extra": {}}, "param_groups": [{"params": [0]}]}
    sharpening = {"disc.stem.0.weight": t, "disc_opt.0.exp_avg": t, "began.k": t}
    meta_s, opt_s, extra_s = upgrade_checkpoint(meta, {"0.exp_avg": t}, sharpening)
    assert set(opt_s) == {"0.exp_avg", "began.0.exp_avg"} and set(extra_s) == {"began.disc.stem.0.weight", "began.k"}
    assert "extra" not in meta_s["state"]
    groups = [{"params": [0, 1], "name": "generator"}, {"params": [2, 3], "name": "discriminator", "lr": 1e-4}]
    generation = {"state": {"step": 2, "extra": {"k": 0.25}}, "param_groups": groups}
    optimizer = {f"{i}.exp_avg": torch.full((1,), float(i)) for i in range(4)}
    meta_g, opt_g, extra_g = upgrade_checkpoint(generation, optimizer, {"generator.w": t, "discriminator.w": t})
    assert meta_g["param_groups"] == groups[:1] and meta_g["optimizers"]["began"][0]["params"] == [0, 1]
    assert {k: float(v) for k, v in opt_g.items()} == {
        "0.exp_avg": 0,
        "1.exp_avg": 1,
        "began.0.exp_avg": 2,
        "began.1.exp_avg": 3,
    }
    assert set(extra_g) == {"generator.w", "began.disc.w", "began.k"} and float(extra_g["began.k"]) == 0.25
