"""The run directory contract (stdlib only): what a training run writes, where, and how its config is read.

Like :mod:`lmsdk.spec` for artifacts, this module is the one place that spells the file names of a run
directory; the trainer writes them, ``lmsdk export`` and ``lmsdk eval`` read them::

    RUN_DIR/config.json                 the resolved training config (JSON of lmsdk.trainer.TrainConfig)
    RUN_DIR/checkpoints/step_000500/    one checkpoint per folder (its files: lmsdk.trainer.checkpoints)
    RUN_DIR/metrics.jsonl               one JSON object per logged step
    RUN_DIR/final_metrics.json          the finished run's figures
    RUN_DIR/tensorboard/                the same scalars for TensorBoard
    RUN_DIR/samples/step_000500.png     sample sheets
    RUN_DIR/train.log                   the log
    RUN_DIR/model/                      the finished model (lmsdk.model.checkpoint) and landmark_stats.json
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lmsdk.errors import ConfigError
from lmsdk.fileio import read_json

CONFIG_FILE = "config.json"
CHECKPOINTS_DIR = "checkpoints"
MODEL_DIR = "model"
STATS_FILE = "landmark_stats.json"  # inside MODEL_DIR: where the landmarks sit in the crop, how confident
SAMPLES_DIR = "samples"
METRICS_FILE = "metrics.jsonl"
FINAL_METRICS_FILE = "final_metrics.json"
TENSORBOARD_DIR = "tensorboard"
LOG_FILE = "train.log"
_STEP_DIR = re.compile(r"^step_(\d{6,})$")


def _step_name(step: int) -> str:
    return f"step_{step:06d}"


@dataclass(frozen=True)
class RunDir:
    """The paths of one run directory ``root``."""

    root: Path

    @classmethod
    def of(cls, path: str | os.PathLike[str]) -> RunDir:
        return cls(Path(path))

    @property
    def config(self) -> Path:
        return self.root / CONFIG_FILE

    @property
    def checkpoints(self) -> Path:
        return self.root / CHECKPOINTS_DIR

    @property
    def model(self) -> Path:
        return self.root / MODEL_DIR

    @property
    def stats(self) -> Path:
        return self.model / STATS_FILE

    @property
    def samples(self) -> Path:
        return self.root / SAMPLES_DIR

    @property
    def metrics(self) -> Path:
        return self.root / METRICS_FILE

    @property
    def final_metrics(self) -> Path:
        return self.root / FINAL_METRICS_FILE

    @property
    def tensorboard(self) -> Path:
        return self.root / TENSORBOARD_DIR

    @property
    def log(self) -> Path:
        return self.root / LOG_FILE

    def checkpoint(self, step: int) -> Path:
        """The folder of the checkpoint written after ``step`` steps."""
        return self.checkpoints / _step_name(step)

    def sample(self, step: int) -> Path:
        """The sample sheet written after ``step`` steps."""
        return self.samples / f"{_step_name(step)}.png"

    def checkpoint_dirs(self) -> list[Path]:
        """Complete checkpoint folders, oldest first (a folder being written has a temporary name)."""
        if not self.checkpoints.is_dir():
            return []
        found = [(int(m.group(1)), p) for p in self.checkpoints.iterdir() if (m := _STEP_DIR.match(p.name))]
        return [p for _, p in sorted(found) if p.is_dir()]

    def started(self) -> bool:
        """Whether a run here wrote a checkpoint or a model (a new run must not take the folder over)."""
        return bool(self.checkpoint_dirs()) or self.model.exists()

    def finished(self) -> bool:
        """Whether the run wrote its model folder (it can be exported, evaluated and built on)."""
        return self.model.is_dir()

    def read_config(self, what: str = "run config") -> dict[str, Any]:
        """The saved config as a JSON object (typed by :func:`lmsdk.trainer.read_config`)."""
        data = read_json(self.config, what)
        if not isinstance(data, dict):
            raise ConfigError(f"{self.config}: {what}: expected an object, got {type(data).__name__}")
        return data


def model_folder(path: str | os.PathLike[str]) -> Path:
    """The model folder ``path`` names: ``path/model`` for a run directory; for an artifact exported with its
    weights (``lmsdk export --with-weights``, as the shipped models are), its ``weights/`` folder once their
    hashes match the manifest; else ``path`` itself."""
    from lmsdk.spec import MANIFEST_FILE, WEIGHTS, WEIGHTS_CONFIG, read_manifest, verify_file

    path = Path(path)
    run = RunDir(path)
    if run.finished():
        return run.model
    if (path / MANIFEST_FILE).is_file():
        manifest = read_manifest(path)
        if WEIGHTS not in manifest.attachments:
            raise ConfigError(
                f"{path}: the artifact carries no PyTorch weights to start from (export it with --with-weights, or "
                "start from its run directory)"
            )
        weights = verify_file(path, manifest.attachments[WEIGHTS])
        verify_file(path, manifest.attachments[WEIGHTS_CONFIG])
        return weights.parent
    return path
