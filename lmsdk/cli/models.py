"""``lmsdk models`` (the models that ship inside lmsdk, :mod:`lmsdk.zoo`) and ``lmsdk verify`` (an artifact's graphs
against the outputs recorded at export)."""

from __future__ import annotations

import typer

from lmsdk.cli import app
from lmsdk.cli.options import ArtifactArg, RuntimeBackend, RuntimeDevice


@app.command()
def models(
    as_json: bool = typer.Option(
        False, "--json", help="Print the list as JSON (one object per model, its folder included) for scripts."
    ),
) -> None:
    """List the shipped models: name, landmarks K, named points, graphs and precisions, size, licence. Use a name
    wherever an artifact is asked for (lmsdk track faces 0 --show; Detector("faces"))."""
    import dataclasses
    import json

    from rich.console import Console
    from rich.table import Table

    from lmsdk.zoo import shipped_models

    shipped = shipped_models()
    if as_json:
        typer.echo(json.dumps([dataclasses.asdict(m) | {"path": str(m.path)} for m in shipped], indent=2))
        return
    if not shipped:
        typer.echo("no models ship with this installation of lmsdk")
        return
    table = Table(title="shipped models", show_lines=True)
    for column in ("name", "K", "named points", "graphs", "size", "licence"):
        table.add_column(column, overflow="fold")
    for m in shipped:
        table.add_row(
            m.name,
            str(m.num_landmarks),
            ", ".join(m.named_points) or "-",
            ", ".join(m.variants),
            f"{m.size_bytes / 1e6:.1f} MB",
            m.license,
        )
    Console(width=140).print(table)
    for m in shipped:
        typer.echo(f"{m.name}: {m.path}")


@app.command()
def verify(
    artifact: ArtifactArg,
    backend: RuntimeBackend = "onnxruntime",
    device: RuntimeDevice = "cpu",
) -> None:
    """Check every graph of an artifact on this machine against the PyTorch outputs recorded at export
    (reference.npz), with the parity gate's tolerances; exit status 2 when one strays."""
    from lmsdk.errors import ParityError
    from lmsdk.runtime.selfcheck import check_reference

    checks = check_reference(artifact, backend=backend, device=device)
    for c in checks:
        unit = "px" if c.unit == "px" else ""
        typer.echo(
            f"  {c.graph:14s} {c.output:12s} {c.error:.2e}{unit} (tolerance {c.tolerance:.0e}{unit}) "
            f"{'ok' if c.ok else 'FAILED'}"
        )
    failed = [c for c in checks if not c.ok]
    if failed:
        raise ParityError(f"{artifact}: {len(failed)} of {len(checks)} outputs differ from the recorded ones")
    typer.echo(f"{artifact}: {len(checks)} outputs of {len({c.graph for c in checks})} graphs match the recorded ones")
