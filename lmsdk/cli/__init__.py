"""The ``lmsdk`` command line. Each command builds one config and calls one library function; stages are
imported inside the commands, so ``lmsdk --help`` is fast and the runtime commands never load torch.

Exit status: 0 done; 2 a mistake the user can fix (an :class:`~lmsdk.errors.LmsdkError`, a bad option or
argument, a file the system refuses): one line ``error: ...`` on stderr, no traceback; 130 interrupted; 1 an
internal error (a bug): one line that says so, and with ``-v`` the traceback. Commands live in
:mod:`lmsdk.cli.training` (train, distill, sharpen, train-generator), :mod:`lmsdk.cli.deploy` (export, eval),
:mod:`lmsdk.cli.video` (track, edit, morph, demo-video), :mod:`lmsdk.cli.generation` (generate) and
:mod:`lmsdk.cli.doctor` (doctor).
"""

from __future__ import annotations

import logging
import sys
from typing import Annotated, NoReturn

import typer

from lmsdk import __version__
from lmsdk.errors import LmsdkError

app = typer.Typer(
    name="lmsdk",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    help="Discover object landmarks without labels (Zhang et al., CVPR 2018), export them, track them.",
)
logger = logging.getLogger("lmsdk")
_state = {"verbose": False}


def _setup_logging(verbose: bool) -> None:
    from rich.console import Console
    from rich.logging import RichHandler

    handler = RichHandler(console=Console(stderr=True), show_path=False, show_time=False)
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO, format="%(message)s", handlers=[handler], force=True
    )
    for noisy in ("PIL", "matplotlib", "h5py"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"lmsdk {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log debug messages.")] = False,
    version: Annotated[
        bool | None, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = None,
) -> None:
    _state["verbose"] = verbose
    _setup_logging(verbose)


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def run(argv: list[str] | None = None) -> int:
    """Run the command line on ``argv`` (default ``sys.argv[1:]``) and return the exit status (see the module
    docstring); every error a user can fix is one line on stderr."""
    _state["verbose"] = False
    try:
        result = app(args=argv, prog_name="lmsdk", standalone_mode=False)
        return result if isinstance(result, int) else 0
    except typer.TyperException as exc:  # click's usage errors: a bad option, a missing argument
        if type(exc).__name__ == "NoArgsIsHelpError":
            return 2  # the help is printed
        ctx = getattr(exc, "ctx", None)
        hint = f" (see {ctx.command_path} --help)" if ctx is not None else ""
        typer.echo(f"error: {_one_line(exc.format_message())}{hint}", err=True)
        return int(getattr(exc, "exit_code", 2))
    except LmsdkError as exc:
        logger.debug("details", exc_info=True)
        typer.echo(f"error: {_one_line(str(exc))}", err=True)
        return 2
    except OSError as exc:
        if exc.filename is None:  # not about a path the user gave: treat as internal
            return _internal(exc)
        logger.debug("details", exc_info=True)
        target = f"{exc.filename}" + (f" -> {exc.filename2}" if exc.filename2 else "")
        typer.echo(f"error: {target}: {exc.strerror or type(exc).__name__}", err=True)
        return 2
    except (KeyboardInterrupt, typer.Abort):
        typer.echo("interrupted", err=True)
        return 130
    except Exception as exc:  # a bug: say so in one line, or show the traceback with -v
        return _internal(exc)


def _internal(exc: Exception) -> int:
    if _state["verbose"]:
        raise exc
    typer.echo(
        f"internal error: {type(exc).__name__}: {_one_line(str(exc))} (a bug in lmsdk; rerun with -v for the "
        "traceback and report it)",
        err=True,
    )
    return 1


def main() -> NoReturn:
    """Entry point of the ``lmsdk`` command: :func:`run`, then exit with its status."""
    sys.exit(run())


# Register the commands (each module decorates functions with ``@app.command``).
from lmsdk.cli import deploy, doctor, generation, models, training, video  # noqa: E402, F401
