"""Training's default thread count follows the CPUs the process may use (taskset, a container's cpuset)."""

import os
import subprocess
import sys

import pytest

from lmsdk.trainer.loop import usable_cpus


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="CPU affinity is Linux-only")
def test_a_process_pinned_to_one_cpu_trains_with_one_thread():
    assert usable_cpus() == len(os.sched_getaffinity(0))
    first = min(os.sched_getaffinity(0))
    code = "from lmsdk.trainer.loop import usable_cpus; print(usable_cpus())"
    out = subprocess.run(
        [sys.executable, "-c", code],
        preexec_fn=lambda: os.sched_setaffinity(0, {first}),
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert out.stdout.strip() == "1"
