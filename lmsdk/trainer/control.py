"""Run control: the wall clock a run is measured by, and stopping cleanly on Ctrl-C."""

from __future__ import annotations

import logging
import signal
import threading
import time

logger = logging.getLogger(__name__)


class StopRequest:
    """Ctrl-C asks the loop to stop at the next step boundary, so a checkpoint never holds half a step;
    a second Ctrl-C stops at once."""

    def __init__(self) -> None:
        self.requested = False
        self._previous = None

    def __enter__(self) -> StopRequest:
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def _handle(self, signum: int, frame: object) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True
        logger.warning("stopping after this step (Ctrl-C again to stop at once)")

    def __exit__(self, *exc: object) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)


class StepTimer:
    """Training wall time, continued across resumes; events (BN, checkpoints) count too."""

    def __init__(self, already: float) -> None:
        self.start = time.monotonic() - already

    def elapsed(self) -> float:
        return time.monotonic() - self.start
