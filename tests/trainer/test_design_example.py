"""The example stage of docs/design.md is a working stage: registered, it trains, and only the decoder learns."""

import re
from pathlib import Path

import torch

from lmsdk.model import load_model

DESIGN = Path(__file__).parents[2] / "docs" / "design.md"
PRELUDE = """
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
import numpy as np
import torch
from torch import Tensor
from lmsdk.model.autoencoder import LandmarkAutoencoder
from lmsdk.trainer.config import ScheduleConfig, TrainConfig
from lmsdk.trainer.samples import sample_sheet
from lmsdk.trainer.sources import load_source
from lmsdk.trainer.stage import FineTuningSetup, Loss, Networks, StepContext, settings_of
from lmsdk.trainer.step import AugmentedBatch, FramePair
"""


def _example_stage() -> type:
    code = re.search(r"```python\n# lmsdk/trainer/stages/decoder_l1.py\n(.*?)```", DESIGN.read_text(), re.S)
    assert code, "docs/design.md has no example stage"
    namespace: dict = {"__name__": "decoder_l1"}
    exec(PRELUDE + code.group(1), namespace)
    return namespace["DecoderL1"]


def test_the_documented_example_stage_trains_its_decoder_alone(monkeypatch, tmp_path, tiny_run):
    from lmsdk.trainer import fine_tuning_config, stages, train

    stage = _example_stage()
    monkeypatch.setitem(stages.BY_KIND, stages.kind_of(stage), stage)  # the registration line
    config = fine_tuning_config(
        stage.Config(str(tiny_run)), steps=2, batch_size=4, bn_batches=1, sample_every=0, checkpoint_every=0
    )
    result = train(config.replace(progress=False), tmp_path / "l1")
    assert result.steps == 2 and "loss/l1" in (tmp_path / "l1" / "metrics.jsonl").read_text()
    before, after = load_model(tiny_run / "model").state_dict(), load_model(tmp_path / "l1" / "model").state_dict()
    changed = {name.split(".")[0] for name in before if not torch.equal(before[name], after[name])}
    assert changed == {"decoder"}
