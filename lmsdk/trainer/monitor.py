"""What a run reports while it trains: metrics as JSON lines and TensorBoard scalars, and a progress bar."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from lmsdk.fileio import atomic_write_bytes
from lmsdk.rundir import RunDir
from lmsdk.trainer.distributed import DistInfo

logger = logging.getLogger(__name__)


class Monitor:
    """Appends one JSON object per logged step to ``metrics.jsonl`` and mirrors scalars to TensorBoard.

    On resume, lines logged after the checkpoint being resumed are dropped (they will be logged again).
    """

    def __init__(self, run_dir: Path, *, enabled: bool, total: int, start_step: int, progress: bool) -> None:
        self.enabled = enabled
        self.path = RunDir(run_dir).metrics
        self._writer = None
        self._progress: Progress | None = None
        self._task = None
        if not enabled:
            return
        self._truncate(start_step)
        try:
            from torch.utils.tensorboard import SummaryWriter

            self._writer = SummaryWriter(str(RunDir(run_dir).tensorboard), purge_step=start_step or None)
        except ImportError:  # TensorBoard is part of [train]; keep training without it
            logger.warning("tensorboard is not installed; metrics go to %s only", self.path)
        if progress:
            self._progress = Progress(
                TextColumn("[bold]train"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TextColumn("eta"),
                TimeRemainingColumn(),
                TextColumn("{task.fields[status]}"),
                console=Console(stderr=True),
                transient=False,
            )
            self._progress.start()
            self._task = self._progress.add_task("train", total=total, completed=start_step, status="")

    def _truncate(self, start_step: int) -> None:
        if not self.path.exists():
            return
        kept = []
        for line in self.path.read_text().splitlines():
            try:
                if json.loads(line).get("step", 0) <= start_step:
                    kept.append(line)
            except json.JSONDecodeError:
                continue  # a line torn by a crash
        atomic_write_bytes(self.path, "".join(line + "\n" for line in kept).encode())

    def log(self, step: int, metrics: dict[str, Any]) -> None:
        """Record ``metrics`` at ``step`` (numbers go to TensorBoard, everything to the JSON lines)."""
        if not self.enabled:
            return
        with self.path.open("a") as f:
            f.write(json.dumps({"step": step, **metrics}) + "\n")
            f.flush()
            os.fsync(f.fileno())
        if self._writer is not None:
            for key, value in metrics.items():
                if isinstance(value, (int, float)) and key != "step":
                    self._writer.add_scalar(key, value, step)

    def image(self, tag: str, image_rgb: Any, step: int) -> None:
        if self.enabled and self._writer is not None:
            self._writer.add_image(tag, image_rgb, step, dataformats="HWC")

    def update(self, step: int, total: int, status: str) -> None:
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, completed=step, total=total, status=status)

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()
        if self._writer is not None:
            self._writer.close()


def log_to_file(run_dir: Path, info: DistInfo) -> logging.Handler | None:
    """Send lmsdk's log to the run's ``train.log`` too (main process); returns the handler to remove."""
    if not info.is_main:
        return None
    run_dir.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(RunDir(run_dir).log)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    lmsdk_logger = logging.getLogger("lmsdk")
    lmsdk_logger.addHandler(handler)
    if lmsdk_logger.level == logging.NOTSET or lmsdk_logger.level > logging.INFO:
        lmsdk_logger.setLevel(logging.INFO)
    return handler
