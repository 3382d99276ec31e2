"""The ``lmsdk`` command line. Each command builds one config and calls one library function; stages are
imported inside the commands, so ``lmsdk --help`` is fast and the runtime commands never load torch.

Errors a user can fix (a bad path, flag or file) print one line and exit with status 2. Commands live in
:mod:`lmsdk.cli.training` (train), :mod:`lmsdk.cli.deploy` (export, eval) and :mod:`lmsdk.cli.video`
(track, edit, morph, demo-video).
"""

from __future__ import annotations

import logging
import sys
from typing import Annotated

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
    _setup_logging(verbose)


def main() -> None:
    """Entry point: run the app, turning user errors into one line on stderr and exit status 2."""
    try:
        app()
    except LmsdkError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(130)


# Register the commands (each module decorates functions with ``@app.command``).
from lmsdk.cli import deploy, training, video  # noqa: E402, F401
