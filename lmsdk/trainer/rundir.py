"""The run directory: what a new run may write over, what a resumed run must match, its log, its start."""

from __future__ import annotations

import logging
from pathlib import Path

from lmsdk.errors import CheckpointError, ConfigError
from lmsdk.model.autoencoder import LandmarkAutoencoder
from lmsdk.model.checkpoint import load_model
from lmsdk.trainer import distributed
from lmsdk.trainer.checkpoints import checkpoint_dirs
from lmsdk.trainer.config import TrainConfig

logger = logging.getLogger(__name__)

CONFIG_FILE = "config.json"
MODEL_DIR = "model"
STATS_FILE = "landmark_stats.json"  # read by lmsdk.export
# Settings that may change when a run is resumed; everything else must match config.json.
RESUMABLE_CHANGES = ("max_minutes", "device", "progress", "threads", "checkpoint_every")


def resolve_config(config: TrainConfig, run_dir: Path, resume: bool) -> tuple[TrainConfig, bool]:
    """Check ``run_dir`` for a new or resumed run; returns the config and whether there is anything to resume.

    A new run must not overwrite another, but may take over a directory whose run never wrote a checkpoint
    (it failed or was killed early: nothing of it is lost). A resumed run must keep its ``config.json``; with
    no checkpoint yet it starts over.
    """
    path = run_dir / CONFIG_FILE
    started = checkpoint_dirs(run_dir) or (run_dir / MODEL_DIR).exists()
    if resume:
        if not path.is_file():
            raise CheckpointError(f"{run_dir}: no run to resume ({CONFIG_FILE} not found)")
        saved = TrainConfig.read(path)
        changes = {k: getattr(config, k) for k in RESUMABLE_CHANGES}
        if saved.replace(**changes) != config:
            diff = [k for k, v in config.to_dict().items() if saved.to_dict()[k] != v and k not in RESUMABLE_CHANGES]
            raise ConfigError(
                f"{path}: the run was started with other settings ({', '.join(diff)}); resume with the same ones"
            )
        if not started:
            logger.warning("%s: the run wrote no checkpoint before it stopped; starting it over", run_dir)
            return config, False
        return config, True
    if started:
        raise ConfigError(f"{run_dir}: already holds a run; pass --resume to continue it or choose another --out")
    if path.exists():
        logger.warning("%s: replacing a run that stopped before its first checkpoint", run_dir)
    return config, False


def finished_run_config(source: Path, purpose: str) -> TrainConfig:
    """The config of the finished run ``source`` that a later stage builds on (``purpose``: what that stage does
    with it, for the error); :class:`ConfigError` when ``source`` has no ``model/`` folder."""
    if not (source / MODEL_DIR).is_dir():
        raise ConfigError(f"{source}: not a finished training run (no {MODEL_DIR}/ folder {purpose})")
    return TrainConfig.read(source / CONFIG_FILE, "source run config")


def log_to_file(run_dir: Path, info: distributed.DistInfo) -> logging.Handler | None:
    if not info.is_main:
        return None
    run_dir.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(run_dir / "train.log")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    lmsdk_logger = logging.getLogger("lmsdk")
    lmsdk_logger.addHandler(handler)
    if lmsdk_logger.level == logging.NOTSET or lmsdk_logger.level > logging.INFO:
        lmsdk_logger.setLevel(logging.INFO)
    return handler


def initialise(model: LandmarkAutoencoder, source: Path) -> None:
    """Copy the weights of another run (or model folder) with the same architecture into ``model``."""
    folder = source / MODEL_DIR if (source / MODEL_DIR).is_dir() else source
    other = load_model(folder)
    if other.config != model.config:
        raise ConfigError(
            f"{folder}: its model differs from this run's ({MODEL_DIR}/model_config.json); "
            "initialise only from the same preset, K and image size"
        )
    model.load_state_dict(other.state_dict())
    logger.info("initialised from %s", folder)
