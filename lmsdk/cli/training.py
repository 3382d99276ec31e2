"""The training commands: ``lmsdk train``, ``distill``, ``sharpen`` and ``train-generator``.

Every training command builds one config and hands it to :func:`lmsdk.cli.run_options.start_or_resume`; their
shared options and the defaults their help shows are in :mod:`lmsdk.cli.run_options`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from lmsdk.cli import app
from lmsdk.cli.help_defaults import stage_defaults, with_help_defaults
from lmsdk.cli.run_options import RunOut, SourceRun, start_or_resume, with_run_options

if TYPE_CHECKING:  # the CLI imports torch only when a command runs
    from lmsdk.trainer import TrainConfig


def _train_defaults() -> dict[str, object]:
    """What ``lmsdk train`` trains without options: the cpu preset."""
    from lmsdk.trainer import TrainConfig, get_preset

    preset = get_preset("cpu")
    values: dict[str, object] = {
        name: value
        for name in TrainConfig.__dataclass_fields__
        if isinstance(value := getattr(preset, name), int | float | str)
    }
    values |= {
        "landmarks": preset.model.num_landmarks,
        "image_size": preset.model.crop_size,
        "video_share": preset.data.video_share,
        "video_gap": preset.data.video_gap,
    }
    from lmsdk.trainer.stages.finetune import KEEP_LANDMARKS

    shown = {name: f"{value} with the cpu preset" for name, value in values.items()}
    for name in ("landmarks", "image_size"):
        shown[name] += ", the --init model's with --init"
    return shown | {"keep_landmarks": f"{KEEP_LANDMARKS:g}"}


@app.command(cls=with_help_defaults(_train_defaults))
@with_run_options
def train(
    ctx: typer.Context,
    out: RunOut,
    data_source: Annotated[
        list[str] | None,
        typer.Option(
            "--data",
            help="'synthetic' (built-in procedural faces, the default) or a path: a folder of images, an MTFL-style "
            "landmark list, a video, a folder of videos or a clip list. The format is detected; name it with "
            "--format. Repeat it to train on several sources at once: images and video mix in each batch "
            "(--video-share), the flow terms on the video pairs.",
        ),
    ] = None,
    preset: Annotated[
        str,
        typer.Option(
            "--preset",
            help="Settings to start from: 'cpu' (about an hour on a 2-core CPU), 'tiny' (smoke tests), "
            "or a paper setting such as celeba-k10, aflw-k10, cat-k10, mnist-k7, human-k16.",
        ),
    ] = "cpu",
    landmarks: Annotated[
        int | None,
        typer.Option("--landmarks", "-k", help="Number of landmarks K to discover (the separation bandwidth follows)."),
    ] = None,
    image_size: Annotated[
        int | None, typer.Option("--image-size", help="Crop side S in pixels; padding keeps the preset's ratio.")
    ] = None,
    data_format: Annotated[
        list[str] | None,
        typer.Option(
            "--format",
            help="Data format when it cannot be detected: synthetic, celeba, aflw, cats, mtfl, labels, mnist, "
            "video or folder. Once for every --data, or once per --data in the same order.",
        ),
    ] = None,
    video_share: Annotated[
        float | None,
        typer.Option(
            "--video-share",
            help="With images and video: the share of each batch that is video pairs (the rest images).",
        ),
    ] = None,
    video_gap: Annotated[
        int | None,
        typer.Option(
            "--video-gap",
            min=1,
            help="Videos: frames between the two frames of a training pair (the paper's 10). The flow is computed "
            "over hops of the largest divisor of N up to 5 frames and composed (a prime gap over 5 is flowed frame "
            "by frame). A gap of 1-2 pairs near-identical frames, which asks still points to stay still "
            "(docs/steadiness.md).",
        ),
    ] = None,
    flow_cache: Annotated[
        Path | None,
        typer.Option(
            "--flow-cache",
            help="Videos: keep the optical flow computed for each clip in this folder (default: beside each clip, "
            "or ~/.cache/lmsdk/flow where the clip's folder is read-only).",
        ),
    ] = None,
    crop_fraction: Annotated[
        float | None,
        typer.Option("--crop-fraction", help="Image folders: keep this centred fraction of each image's square."),
    ] = None,
    init: Annotated[
        Path | None,
        typer.Option(
            "--init",
            help="Fine-tune: start from these weights (same preset; K and crop size follow them unless given): a "
            "run, a model folder, an artifact exported with --with-weights, or a shipped model's name (e.g. faces, "
            "the cpu preset at K = 30); the paper's AFLW models start from CelebA.",
        ),
    ] = None,
    keep_landmarks: Annotated[
        float | None,
        typer.Option(
            "--keep-landmarks",
            help="With --init: how strongly landmark k stays the --init model's landmark k (the squared distance "
            "between the two models' points on each batch, in the equivariance term's units; 0 lets them drift).",
        ),
    ] = None,
) -> None:
    """Discover landmarks on unlabeled images (and video); writes config, checkpoints, metrics, samples and
    RUN_DIR/model."""

    def build(options: dict[str, Any]) -> TrainConfig:
        from lmsdk.trainer.presets import configure

        init_source = str(init) if init else None
        config = configure(
            preset,
            data=data_source,
            data_format=data_format,
            crop_fraction=crop_fraction,
            landmarks=landmarks,
            image_size=image_size,
            init=init_source,
            keep_landmarks=keep_landmarks,
            video_share=video_share,
            video_gap=video_gap,
            flow_cache=str(flow_cache) if flow_cache else None,
        )
        return config.replace(**options)

    start_or_resume(ctx, out, build, kinds=("discover", "finetune"), inputs=(init,))


@app.command(cls=with_help_defaults(lambda: stage_defaults("distill")))
@with_run_options
def distill(
    ctx: typer.Context,
    run: SourceRun,
    out: RunOut,
    arch: Annotated[
        str,
        typer.Option(
            "--arch",
            help="Lite architecture: 'lite-wide' (about 17 M multiply-adds) or 'lite' (about 8 M, faster); "
            "measured in docs/lite.md.",
        ),
    ] = "lite-wide",
) -> None:
    """Distil a trained run's detector into a lite one that runs many times faster; export LITE_RUN like any run
    (the teacher's encoder and decoder travel with it for editing)."""

    def build(options: dict[str, Any]) -> TrainConfig:
        from lmsdk.trainer import DistillConfig, fine_tuning_config

        return fine_tuning_config(DistillConfig(source=str(run), arch=arch), **options)

    start_or_resume(ctx, out, build, kinds=("distill",), inputs=(run,), made="lite model")


@app.command(cls=with_help_defaults(lambda: stage_defaults("sharpen")))
@with_run_options
def sharpen(
    ctx: typer.Context,
    run: SourceRun,
    out: RunOut,
    reconstruction: Annotated[
        float | None,
        typer.Option(
            "--reconstruction",
            help="Weight of the L1 reconstruction term (reconstructions keep the input's colours; lower it and raise "
            "--cycle for edits that follow further, less faithfully).",
        ),
    ] = None,
    adversarial: Annotated[
        float | None, typer.Option("--adversarial", help="Weight of the BEGAN adversarial term (0 switches it off).")
    ] = None,
    gradient: Annotated[
        float | None,
        typer.Option(
            "--gradient",
            help="Weight of the gradient difference term: L1 between the image gradients of each crop and its "
            "reconstruction (0 switches it off).",
        ),
    ] = None,
    cycle: Annotated[
        float | None,
        typer.Option(
            "--cycle",
            help="Weight per crop pixel of the edit-consistency term: moved landmarks re-detected where they were "
            "sent (0 switches it off).",
        ),
    ] = None,
    train_descriptors: Annotated[
        bool | None,
        typer.Option(
            "--train-descriptors/--decoder-only",
            help="Fine-tune the descriptor encoder with the decoder (edits follow the landmarks further), or the "
            "decoder alone.",
        ),
    ] = None,
) -> None:
    """Fine-tune a trained run's decoder and descriptor encoder (detector frozen) with a BEGAN adversarial term and
    an edit-consistency term, for sharper reconstructions and edits that follow the landmarks; export the new run
    like any run."""

    def build(options: dict[str, Any]) -> TrainConfig:
        from lmsdk.trainer import SharpenConfig, fine_tuning_config

        terms = {
            "reconstruction": reconstruction,
            "adversarial": adversarial,
            "gradient": gradient,
            "cycle": cycle,
            "train_descriptors": train_descriptors,
        }
        settings = SharpenConfig(source=str(run), **{k: v for k, v in terms.items() if v is not None})
        return fine_tuning_config(settings, **options)

    start_or_resume(ctx, out, build, kinds=("sharpen",), inputs=(run,), made="sharpened model")


@app.command("train-generator", cls=with_help_defaults(lambda: stage_defaults("generate")))
@with_run_options
def train_generator(
    ctx: typer.Context,
    run: SourceRun,
    out: RunOut,
    preset: Annotated[
        str, typer.Option("--preset", help="Generator widths: 'cpu' (for the cpu landmark model) or 'tiny' (tests).")
    ] = "cpu",
    cyclic: Annotated[
        float | None,
        typer.Option(
            "--cyclic",
            help="Weight of the L1 cyclic loss between the landmarks detected on generated images and their "
            "condition (normalised crop units; 0 switches it off).",
        ),
    ] = None,
    lr: Annotated[
        float | None,
        typer.Option("--lr", help="Adam learning rate of both networks, cosine-decayed to a tenth."),
    ] = None,
    start_from: Annotated[
        str | None,
        typer.Option(
            "--start-from",
            help="What BEGAN starts from: 'prior' (the prior over the run's codes and a copy of its decoder, which "
            "BEGAN trains: generations are faces from the first step) or 'noise' (a fresh generator of --preset's "
            "widths, as in the paper).",
        ),
    ] = None,
    reconstruction: Annotated[
        float | None,
        typer.Option(
            "--reconstruction",
            help="Weight of the mean L1 between each training crop and the decoder's image of its own codes, the "
            "anchor that keeps BEGAN from collapsing a decoder started from the prior (default 20 from the prior; "
            "0 from noise, where it is the only value).",
        ),
    ] = None,
) -> None:
    """Train a landmark-conditioned generator on a run's frozen landmarks: BEGAN + the cyclic landmark loss
    (paper App. G.5), starting from the run's prior and decoder (or from noise). Writes checkpoints, metrics
    (BEGAN's k and convergence), sample sheets and GEN_RUN/model; export it with lmsdk export GEN_RUN."""

    def build(options: dict[str, Any]) -> TrainConfig:
        from lmsdk.trainer import GenerationConfig, fine_tuning_config

        settings = GenerationConfig.preset(
            str(run), preset, cyclic=cyclic, lr=lr, start_from=start_from, reconstruction=reconstruction
        )
        return fine_tuning_config(settings, **options)

    start_or_resume(ctx, out, build, kinds=("generate",), inputs=(run,), made="generator")
