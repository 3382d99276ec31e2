"""Where commands may write: outputs never overwrite inputs, and files appear whole or not at all (stdlib only).

Every command that writes checks each output path first with :func:`check_output_file` or
:func:`check_output_dir`: an output that resolves to one of the command's inputs (the same file, through
any link or relative path) is refused, as is a folder where a file is meant, a file where a folder is meant,
a suffix no writer knows, and a place nothing can be written. Then writers go through :func:`replacing`: they
write a temporary sibling file and rename it into place when they finish, so an interrupted command never
leaves a half-written file under the output's name (and an existing output is only replaced at the end).
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterable, Iterator
from pathlib import Path

from lmsdk.errors import OutputError

PathLike = str | os.PathLike[str]


def same_path(a: PathLike, b: PathLike) -> bool:
    """Whether two paths name the same file or folder (resolving links and ``..``; existing or not)."""
    a, b = Path(a), Path(b)
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
    except OSError:
        pass
    return a.resolve() == b.resolve()


def _writable_parent(path: Path, option: str) -> None:
    parent = path.resolve().parent
    existing = parent
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise OutputError(f"{option} {path}: {existing} is a file, not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise OutputError(f"{option} {path}: cannot write in {existing} (permission denied)")


def check_output_file(
    path: PathLike,
    *,
    option: str = "--out",
    inputs: Iterable[PathLike] = (),
    suffixes: Iterable[str] | None = None,
) -> Path:
    """Refuse an output file that is an input, a folder, of an unknown suffix or unwritable; returns it as a Path.

    Args:
        path: the output file (replaced if it exists: say so in the command's help).
        option: how the user named it, for the message (e.g. ``--out``).
        inputs: the files and folders the command reads; the output may be none of them.
        suffixes: the suffixes a writer knows (lower case, with the dot); None accepts any.
    """
    path = Path(path)
    for source in inputs:
        if same_path(path, source):
            raise OutputError(f"{option} {path}: is an input of this command; write the output somewhere else")
    if path.is_dir():
        raise OutputError(f"{option} {path}: is a folder; give a file name")
    if suffixes is not None:
        known = tuple(suffixes)
        if path.suffix.lower() not in known:
            what = f"suffix {path.suffix!r}" if path.suffix else "no suffix"
            raise OutputError(f"{option} {path}: {what}; use one of {', '.join(known)}")
    _writable_parent(path, option)
    return path


def check_output_dir(path: PathLike, *, option: str = "--out", inputs: Iterable[PathLike] = ()) -> Path:
    """Refuse an output folder that is a file, is or contains an input, or cannot be created; returns it."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise OutputError(f"{option} {path}: is a file; give a folder")
    resolved = path.resolve()
    for source in inputs:
        source = Path(source).resolve()
        if source == resolved or resolved in source.parents:
            raise OutputError(f"{option} {path}: holds an input of this command ({source}); choose another folder")
    _writable_parent(path, option)
    return path


class PendingFile:
    """A temporary sibling of ``path`` (same suffix, so writers pick the same format) that becomes ``path`` on
    :meth:`commit` and disappears on :meth:`discard`."""

    def __init__(self, path: PathLike) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.tmp = self.path.with_name(f".{self.path.stem}.{secrets.token_hex(4)}.tmp{self.path.suffix}")

    def commit(self) -> bool:
        """Rename the temporary file onto ``path``; False (and ``path`` untouched) when nothing was written."""
        if not self.tmp.exists():
            return False
        os.replace(self.tmp, self.path)
        return True

    def discard(self) -> None:
        """Delete the temporary file, if any."""
        with contextlib.suppress(FileNotFoundError):
            self.tmp.unlink()


@contextlib.contextmanager
def replacing(path: PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; when the block ends normally it is renamed onto ``path``,
    otherwise it is deleted. A writer that produced nothing leaves ``path`` untouched."""
    pending = PendingFile(path)
    try:
        yield pending.tmp
        pending.commit()
    finally:
        pending.discard()
