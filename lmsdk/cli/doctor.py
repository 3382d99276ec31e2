"""``lmsdk doctor``: one table of what this machine offers lmsdk, and what to install for what is missing."""

from __future__ import annotations

from typing import Annotated

import typer

from lmsdk.cli import app
from lmsdk.errors import BackendUnavailableError, ConfigError


@app.command()
def doctor(
    need: Annotated[
        list[str] | None,
        typer.Option(
            "--need",
            help="What you want to do here: runtime, train, gpu, trt, bf16, display or camera (repeat or join "
            "with commas); exits with status 2 when something it needs is missing.",
        ),
    ] = None,
) -> None:
    """Show versions (lmsdk, torch, onnxruntime and its providers, TensorRT, cuda-python), GPUs, CPU bf16
    units, a display and a camera, each with what it is needed for and how to get it."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from lmsdk.doctor import NEEDS, collect, missing_for

    needs = [n.strip() for item in need or [] for n in item.split(",") if n.strip()]
    unknown = [n for n in needs if n not in NEEDS]
    if unknown:
        raise ConfigError(f"--need {unknown[0]!r}: one of {', '.join(NEEDS)}")
    checks = collect()
    table = Table(title="lmsdk doctor")
    for column in ("", "status", "found", "needed for", "to get it"):
        table.add_column(column)
    for check in checks:
        status = "[green]ok[/]" if check.ok else "[yellow]missing[/]"
        table.add_row(escape(check.name), status, escape(check.found), escape(check.needed_for), escape(check.fix))
    Console(width=max(Console().width, 140)).print(table)
    missing = missing_for(checks, needs)
    if missing:
        parts = "; ".join(f"{c.name} ({c.fix})" for c in missing)
        raise BackendUnavailableError(f"missing for --need {','.join(needs)}: {parts}")
