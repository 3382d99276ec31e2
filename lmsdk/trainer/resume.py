"""A new run or a resumed one: what a new run may take over in its directory, what a resumed run must match."""

from __future__ import annotations

import logging
from pathlib import Path

from lmsdk.errors import CheckpointError, ConfigError
from lmsdk.rundir import CONFIG_FILE, RunDir
from lmsdk.trainer.config import TrainConfig
from lmsdk.trainer.stages import read_config

logger = logging.getLogger(__name__)

# The settings that may change when a run is resumed (how and where it runs, not what it trains); every other
# field of the config must match config.json.
RESUMABLE_CHANGES = ("max_minutes", "device", "progress", "threads", "checkpoint_every")


def resolve_config(config: TrainConfig, run_dir: Path, resume: bool) -> tuple[TrainConfig, bool]:
    """Check ``run_dir`` for a new or resumed run; returns the config and whether there is anything to resume.

    A new run must not overwrite another, but may take over a directory whose run never wrote a checkpoint
    (it failed or was killed early: nothing of it is lost). A resumed run must keep its ``config.json``; with
    no checkpoint yet it starts over.
    """
    run = RunDir(run_dir)
    if resume:
        if not run.config.is_file():
            raise CheckpointError(f"{run_dir}: no run to resume ({CONFIG_FILE} not found)")
        saved = read_config(run_dir)
        changed = changed_fields(saved, config)
        if changed:
            raise ConfigError(
                f"{run.config}: the run was started with other settings ({', '.join(changed)}); resume with the "
                "same ones"
            )
        if not run.started():
            logger.warning("%s: the run wrote no checkpoint before it stopped; starting it over", run_dir)
            return config, False
        return config, True
    if run.started():
        raise ConfigError(f"{run_dir}: already holds a run; pass --resume to continue it or choose another --out")
    if run.config.exists():
        logger.warning("%s: replacing a run that stopped before its first checkpoint", run_dir)
    return config, False


def changed_fields(saved: TrainConfig, config: TrainConfig) -> list[str]:
    """The top-level fields of ``config`` that differ from ``saved`` and may not change on resume."""
    old, new = saved.to_dict(), config.to_dict()
    return [name for name in new if old[name] != new[name] and name not in RESUMABLE_CHANGES]
