"""``lmsdk export`` and ``lmsdk eval``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from lmsdk.cli import app
from lmsdk.outputs import check_output_dir, check_output_file


@app.command()
def export(
    run_dir: Annotated[Path, typer.Argument(help="A finished run directory (it has model/).")],
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            help="Artifact directory to write (ONNX files + manifest.json). An existing artifact there is replaced "
            "as a whole once the new one passes its parity gate; any other non-empty folder is refused.",
        ),
    ],
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
    labels: Annotated[
        str | None,
        typer.Option(
            "--labels",
            help="Labelled images (a labels CSV, or a dataset path with #split): the detector also outputs these "
            "points, regressed from the landmarks by ridge regression with its strength cross-validated on them.",
        ),
    ] = None,
    labels_format: Annotated[
        str | None, typer.Option("--labels-format", help="Format of --labels when it cannot be detected.")
    ] = None,
    int8: Annotated[
        bool,
        typer.Option(
            "--int8",
            help="Also write an int8 detector (onnxruntime static quantization calibrated on the run's training "
            "crops; needs the run's data). Refused when its landmarks land more than 0.5 px (mean) or 2 px (99th "
            "percentile) from the fp32 graph's (for a distilled run: the tracker graph). track picks it on CPUs.",
        ),
    ] = False,
    with_weights: Annotated[
        bool,
        typer.Option(
            "--with-weights",
            help="Also carry the PyTorch weights (weights/), so lmsdk train --init ARTIFACT fine-tunes from it.",
        ),
    ] = False,
    card: Annotated[
        Path | None,
        typer.Option("--card", help="A model card (Markdown) to carry as MODEL_CARD.md: data, licence, figures."),
    ] = None,
    license_text: Annotated[
        str | None,
        typer.Option("--license", help="The terms the model may be used under, as lmsdk models shows them."),
    ] = None,
) -> None:
    """Export a trained model to ONNX (and TensorRT) with a parity gate: fails if any graph disagrees. A distilled
    run exports its teacher's detector and its lite detector (the tracker graph); every artifact records a few
    inputs and the PyTorch outputs on them (reference.npz; lmsdk verify checks against them)."""
    from lmsdk.export import export_run

    result = export_run(
        run_dir,
        out,
        fp16=fp16,
        trt=trt,
        labels=labels,
        labels_format=labels_format,
        int8=int8,
        with_weights=with_weights,
        card=card,
        license=license_text,
    )
    listed = {**result.manifest.files, **result.manifest.attachments}
    for key, entry in listed.items():
        size = (out / entry.file).stat().st_size / 1e6
        typer.echo(f"  {entry.file:26s} {size:7.2f} MB  {key}")
    for report in result.reports:
        typer.echo(f"  parity {report.describe()}")
    typer.echo(f"  end to end: {result.manifest.parity['end_to_end_px']['max_abs']:.4f} px")
    for key in ("detector.int8", "tracker.int8"):
        int8_parity = result.manifest.parity.get(key)
        if int8_parity:
            px = int8_parity["crop_px"]
            typer.echo(
                f"  parity {key.split('.')[0]} int8 vs fp32 on {int8_parity['crops']} training crops: mean "
                f"{px['mean']:.3f} px, p99 {px['p99']:.3f} px, max {px['max']:.3f} px (crop pixels)"
            )
    named = result.manifest.named_points
    if named:
        typer.echo(
            f"  named points: {', '.join(named['names'])} from {named['fit_images']} labelled images "
            f"(ridge, relative strength {named['ridge_alpha']:.0e}, cross-validated error {named['cv_error']:.4f})"
        )
    typer.echo(f"exported to {out} in {result.seconds:.1f} s")


@app.command("eval")
def evaluate(
    model: Annotated[
        Path,
        typer.Argument(help="A run directory (torch), an artifact directory or a shipped model's name (onnxruntime)."),
    ],
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
        Path | None,
        typer.Option(
            "--out",
            help="Folder for metrics.json and the plots (default: MODEL/eval); files of the same names are replaced.",
        ),
    ] = None,
    data_format: Annotated[str | None, typer.Option("--format", help="Data format when it cannot be detected.")] = None,
    fit_count: Annotated[
        int | None,
        typer.Option(
            "--fit-count", help="Fit on this many images, 1 or more (the first ones, or a random split of one dataset)."
        ),
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
    regressor: Annotated[
        str,
        typer.Option(
            "--regressor",
            help="lstsq (the paper's bias-free least squares) or ridge (with a bias, strength by cross-validation: "
            "what export --labels uses; steadier with few labels).",
        ),
    ] = "lstsq",
    precision: Annotated[
        str,
        typer.Option(
            "--precision",
            help="Artifacts: the detector graph to evaluate, fp32, fp16 or int8 (int8: written by export --int8).",
        ),
    ] = "fp32",
    graph: Annotated[
        str,
        typer.Option(
            "--graph",
            help="Artifacts: detector (the default, the most accurate) or tracker (a distilled run's lite detector, "
            "what lmsdk track runs).",
        ),
    ] = "detector",
) -> None:
    """Regress discovered landmarks to annotated ones (the paper's protocol); print the errors, write plots."""
    from rich.console import Console
    from rich.table import Table

    from lmsdk.eval.evaluate import OUTPUT_FILES, parse_pairs
    from lmsdk.eval.evaluate import evaluate as run_evaluation
    from lmsdk.zoo import ZOO_DIR, resolve

    shipped = ZOO_DIR in resolve(model).resolve().parents  # a shipped model's name: write beside, not into it
    out_dir = check_output_dir(out or (Path(f"{model.name}-eval") if shipped else model / "eval"))
    inputs = [model, *(Path(spec.partition("#")[0]) for spec in (fit, test))]
    for name in OUTPUT_FILES:
        check_output_file(out_dir / name, option="--out", inputs=inputs)
    evaluation = run_evaluation(
        model,
        fit,
        test,
        protocol=protocol,
        out_dir=out_dir,
        data_format=data_format,
        fit_count=fit_count,
        few_shot=few_shot,
        swap=parse_pairs(swap),
        regressor=regressor,
        precision=precision,
        graph=graph,
    )
    r = evaluation.result
    table = Table(title=f"protocol {r.protocol}: fit {r.n_fit} / test {r.n_test} images")
    table.add_column("")
    table.add_column("error %", justify="right")
    table.add_row("discovered landmarks", f"{100 * r.mean_error:.2f}")
    table.add_row("mean-shape baseline", f"{100 * r.baseline_error:.2f}")
    for k, e in enumerate(r.per_landmark):
        table.add_row(f"  point {k}", f"{100 * e:.2f}")
    if evaluation.named is not None:  # the artifact's own named points: nothing fitted on this data
        table.add_row("the artifact's named points", f"{100 * evaluation.named.mean_error:.2f}")
        for name, e in zip(evaluation.named.names, evaluation.named.per_point, strict=True):
            table.add_row(f"  {name}", f"{100 * e:.2f}")
    Console().print(table)
    if evaluation.few_shot:
        curves = {regressor: evaluation.few_shot, **evaluation.few_shot_other}
        few = Table(title="few-shot: error % against labelled images (mean ± std over random draws)")
        few.add_column("labels")
        few.add_column("draws", justify="right")
        for name in curves:
            few.add_column(name, justify="right")
        for i, p in enumerate(evaluation.few_shot):
            cells = [f"{100 * c[i].mean:.2f} ± {100 * c[i].std:.2f}" for c in curves.values()]
            few.add_row(str(p.labels), str(p.draws), *cells)
        Console().print(few)
    for path in evaluation.outputs:
        typer.echo(f"wrote {path}")
