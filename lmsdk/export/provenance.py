"""Where an artifact came from: the run, its weights, the lmsdk source commit and the command that exported it."""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

from lmsdk.spec import sha256_file

PACKAGE_DIR = Path(__file__).resolve().parents[1]


def source_commit() -> str | None:
    """The git commit of the lmsdk source tree this process runs (``+dirty`` when tracked files differ from it),
    or None outside a git checkout (an installed wheel)."""
    try:
        commit = subprocess.run(
            ["git", "-C", str(PACKAGE_DIR), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(PACKAGE_DIR), "status", "--porcelain", "--untracked-files=no", "--", "."],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{commit}+dirty" if dirty else commit


def command_line() -> str:
    """This process's command line, shell-quoted (``lmsdk export ...`` when run from the CLI)."""
    argv = list(sys.argv)
    if argv and Path(argv[0]).name in ("lmsdk", "__main__.py"):
        argv[0] = "lmsdk"
    return shlex.join(argv)


def source_info(run_dir: Path, weights: Path) -> dict[str, Any]:
    """The manifest's ``source``: run directory, weights hash, lmsdk commit and the export command."""
    return {
        "run_dir": str(run_dir.resolve()),
        "weights_sha256": sha256_file(weights),
        "commit": source_commit(),
        "command": command_line(),
    }
