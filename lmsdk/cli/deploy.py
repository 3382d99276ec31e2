"""``lmsdk export`` and ``lmsdk eval``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from lmsdk.cli import app


@app.command()
def export(
    run_dir: Annotated[Path, typer.Argument(help="A finished run directory (it has model/).")],
    out: Annotated[Path, typer.Option("--out", help="Artifact directory to write (ONNX files + manifest.json).")],
    trt: Annotated[
        bool,
        typer.Option(
            "--trt",
            help="Also build TensorRT engines (needs an NVIDIA GPU and the trt extra: pip install lmsdk\\[trt]); "
            "parity-checked too.",
        ),
    ] = False,
    fp16: Annotated[
        bool,
        typer.Option("--fp16", help="Also write fp16 graphs (fp32 inputs and outputs) and, with --trt, fp16 engines."),
    ] = False,
) -> None:
    """Export a trained model to ONNX (and TensorRT) with a parity gate: fails if any graph disagrees."""
    from lmsdk.export import export_run

    result = export_run(run_dir, out, fp16=fp16, trt=trt)
    for key, entry in result.manifest.files.items():
        size = (out / entry.file).stat().st_size / 1e6
        typer.echo(f"  {entry.file:22s} {size:7.2f} MB  {key}")
    for report in result.reports:
        typer.echo(f"  parity {report.describe()}")
    typer.echo(f"  end to end: {result.manifest.parity['end_to_end_px']['max_abs']:.4f} px")
    typer.echo(f"exported to {out} in {result.seconds:.1f} s")


@app.command("eval")
def evaluate(
    model: Annotated[Path, typer.Argument(help="A run directory (torch) or an artifact directory (onnxruntime).")],
    fit: Annotated[
        str,
        typer.Option(
            "--fit",
            help="Labelled data to fit the regressor on: a labels CSV or a dataset path, optionally "
            "with #split (e.g. /data/celeba#mafl-train).",
        ),
    ],
    test: Annotated[
        str, typer.Option("--test", help="Labelled data to test on; the same as --fit splits it at random (80 % fit).")
    ],
    protocol: Annotated[
        str,
        typer.Option(
            "--protocol",
            help="zhang2018 (bias-free least squares, error over the inter-ocular distance) or h36m "
            "(image-size normalised, minimum over left-right swapped annotations).",
        ),
    ] = "zhang2018",
    out: Annotated[
        Path | None, typer.Option("--out", help="Folder for metrics.json and the plots (default: MODEL/eval).")
    ] = None,
    data_format: Annotated[str | None, typer.Option("--format", help="Data format when it cannot be detected.")] = None,
    fit_count: Annotated[
        int | None,
        typer.Option("--fit-count", help="Fit on this many images (the first ones, or a random split of one dataset)."),
    ] = None,
    few_shot: Annotated[
        bool,
        typer.Option(
            "--few-shot", help="Also the error against the number of labelled images (repeated random draws)."
        ),
    ] = False,
    swap: Annotated[
        str | None, typer.Option("--swap", help="h36m: left-right point pairs as 1:4,2:5,... (0-based).")
    ] = None,
) -> None:
    """Regress discovered landmarks to annotated ones (the paper's protocol); print the errors, write plots."""
    from rich.console import Console
    from rich.table import Table

    from lmsdk.eval.evaluate import evaluate as run_evaluation
    from lmsdk.eval.evaluate import parse_pairs

    evaluation = run_evaluation(
        model,
        fit,
        test,
        protocol=protocol,
        out_dir=out or model / "eval",
        data_format=data_format,
        fit_count=fit_count,
        few_shot=few_shot,
        swap=parse_pairs(swap),
    )
    r = evaluation.result
    table = Table(title=f"protocol {r.protocol}: fit {r.n_fit} / test {r.n_test} images")
    table.add_column("")
    table.add_column("error %", justify="right")
    table.add_row("discovered landmarks", f"{100 * r.mean_error:.2f}")
    table.add_row("mean-shape baseline", f"{100 * r.baseline_error:.2f}")
    for k, e in enumerate(r.per_landmark):
        table.add_row(f"  point {k}", f"{100 * e:.2f}")
    for p in evaluation.few_shot:
        table.add_row(f"  {p.labels} labels ({p.draws} draws)", f"{100 * p.mean:.2f} ± {100 * p.std:.2f}")
    Console().print(table)
    for path in evaluation.outputs:
        typer.echo(f"wrote {path}")
