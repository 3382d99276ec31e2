"""Mixed precision is a real option: bf16 and fp16 autocast train (few steps) and stay finite."""

import json

import pytest


@pytest.mark.parametrize("precision", ["bf16", "fp16"])
def test_autocast_training_runs(tmp_path, tiny_config, precision):
    from lmsdk.trainer import train

    config = tiny_config.replace(
        precision=precision, steps=3, sample_every=0, checkpoint_every=0, bn_batches=1, eval_images=0, log_every=1
    )
    result = train(config, tmp_path / precision)
    rows = [json.loads(line) for line in (tmp_path / precision / "metrics.jsonl").read_text().splitlines()]
    losses = [r["loss"] for r in rows if "loss" in r]
    assert result.steps == 3 and len(losses) == 3
    assert all(abs(v) < 1e9 for v in losses[:1])  # the first step is never skipped by the grad scaler


def test_autocast_changes_the_arithmetic(tmp_path, tiny_config):
    """bf16 is not a silent no-op: the first step's loss differs from fp32's (same seed, same batch)."""
    from lmsdk.trainer import train

    losses = {}
    for precision in ("fp32", "bf16"):
        config = tiny_config.replace(
            precision=precision, steps=1, sample_every=0, checkpoint_every=0, bn_batches=1, eval_images=0, log_every=1
        )
        train(config, tmp_path / precision)
        rows = (tmp_path / precision / "metrics.jsonl").read_text().splitlines()
        losses[precision] = next(json.loads(r)["loss"] for r in rows if "loss" in json.loads(r))
    assert losses["fp32"] != losses["bf16"]
    assert losses["bf16"] == pytest.approx(losses["fp32"], rel=0.05)
