"""Steadiness on clips the models did not train on: still-frame jitter, lag behind the face's motion, and agreement
with MediaPipe FaceMesh, raw and with the tracker's smoothing.

    PYTHONPATH=. MP_VENV/bin/python benchmarks/steadiness.py NAME=ARTIFACT[:PRECISION[:GRAPH]] ...
        [--videos ../shared/data/videos] [--held-out talking_face_2.mp4 speech_2.mp4]
        [--smoothing MIN_CUTOFF,BETA] [--mtfl ../shared/data/mtfl/train.txt | --no-mtfl]
        [--picture steadiness.jpg] [--out benchmarks/results/steadiness.json]
    ... --select-smoothing [--train-clips benchmarks/clips/train.txt]

e.g. ``faces`` (the shipped image-only model, as ``lmsdk track faces`` runs it) and ``video=artifacts/faces-video``.
The split of the six real clips (``../shared/data/videos``): the video models train on ``benchmarks/clips/train.txt``
(talking_face_1, speech_1, head_motion_1, each framed like MTFL's crops); ``talking_face_2`` (the bundled sample)
and ``speech_2`` are held out and measured here; ``scene_1`` (shot cuts, audience shots, a small face MediaPipe
finds in half of its frames) is in neither.

For every model and held-out clip, two passes of the tracker over the frames in memory: **raw** (smoothing off: the
crop follows the raw points) and **smoothed** (what ``lmsdk track`` runs: the tracker's defaults, or
``--smoothing``). Then, per pass:

- **still frames** do not depend on any model under test: the face region (around MediaPipe's five points where
  it runs, else the first model's raw tracker boxes) is followed by Farneback flow from frame to frame; a step is
  still when the region's median flow, over it and the two steps before it (a smoothed track has caught up with
  any motion before), is within the clip's quietest quarter and under 0.4 % of the region's side;
- **jitter**: mean frame-to-frame motion on the still steps of the K landmarks over their RMS spread (as
  benchmarks/tracking.py), and of the five named points in eye distances (MediaPipe's median on the clip: the
  same yardstick for every row);
- **lag**: frames by which the named points' centroid (the landmarks' without names) trails the face region's
  flow, the delay that best aligns their velocities (sub-frame);
- **vs MediaPipe**: mean distance of the five named points (left_eye, right_eye, nose, mouth_left, mouth_right;
  image-left first) from FaceMesh's iris centres (468, 473), nose tip (1) and mouth corners (61, 291), over each
  frame's MediaPipe eye distance; and the same after removing each point's median offset on the clip (the two
  conventions of where, say, "nose" is differ: what remains is how differently they move);
- **MTFL error** (the paper's protocol, fit 8,000 / test 2,000) of the graph the tracker runs.

- **paired**: every other model's jitter over the baseline's (``--baseline``, default the second model named:
  e.g. ``video`` over ``image``) on the same still steps, raw and smoothed, landmarks and five points, the ratio of
  the means over clips with 95 % intervals from a paired circular block bootstrap: each clip's still steps, in
  order, resampled in blocks of 10 (and of 30, to see how much the interval depends on it), the same steps for
  both models. An interval wholly under 1 says the model is steadier by more than the choice of frames explains;
  it says nothing of how much another training seed would move it.

A **frozen** row is the floor: the first model's raw track held at its first frame. Its jitter is 0 by construction
and its lag is not measurable; its agreement with MediaPipe is what a track that does not follow the face scores.
MediaPipe FaceMesh (refined mesh, video mode) gets its own row. ``--select-smoothing`` tracks the **train** clips
instead, raw and with every One Euro setting of a grid (the tracker re-run with each), and picks the steadiest
setting that is no less steady than raw on any clip and model and adds at most one frame of lag
(benchmarks/smoothing_selection.py); it reports the pick and changes nothing.

``MP_VENV`` is a venv with mediapipe 0.10.21 and lmsdk's runtime dependencies (docs/steadiness.md); under any other
Python the MediaPipe figures are left out. docs/steadiness.md has the method and the results.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import sys
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from benchmarks.face_motion import FACE_SIDE_PER_EYE_DISTANCE
from benchmarks.smoothing_selection import BETAS, MIN_CUTOFFS, Trial, select
from benchmarks.steadiness_clip import (
    Clip,
    frozen,
    has_face_points,
    load_clip,
    measure,
    mediapipe_row,
    settled,
)
from benchmarks.steadiness_measures import longest_run, paired_ratio, step_jitter, step_motion
from benchmarks.steadiness_table import HEADER, finite, markdown_rows, means, selection_lines, table_line
from benchmarks.track_picture import Traced, draw_stretch
from benchmarks.tracker_pass import Track, track_frames
from benchmarks.tracking import Model, mtfl_error
from lmsdk.data.clip_list import read_clip_list
from lmsdk.fileio import atomic_write_json
from lmsdk.runtime import Detector, TrackerConfig
from lmsdk.runtime.filters import SmoothingConfig

BENCHMARKS = Path(__file__).resolve().parent
SHARED = BENCHMARKS.parents[1] / "shared" / "data"
HELD_OUT = ("talking_face_2.mp4", "speech_2.mp4")
TRAIN_LIST = BENCHMARKS / "clips" / "train.txt"
RAW = TrackerConfig(smoothing=SmoothingConfig(enabled=False))  # the tracker with its smoothing off
BLOCKS = (10, 30)  # paired bootstrap: still steps resampled together (the first: the interval reported first)
DRAWS = 2000
FROZEN = "frozen"  # the trivial track's row: jitter 0 by construction, no lag to measure; judged by its agreement
logger = logging.getLogger("steadiness")

Passes = dict[str, Track]  # "raw" and "smoothed"


def model_passes(detector: Detector, clip: Clip, smoothing: SmoothingConfig) -> Passes:
    """The raw (smoothing off) and the smoothed pass of a model over a clip."""
    raw = track_frames(detector, clip.frames, clip.stamps, RAW)
    smooth = track_frames(detector, clip.frames, clip.stamps, TrackerConfig(smoothing=smoothing))
    return {"raw": raw, "smoothed": smooth}


def pass_points(track: Track, kind: str) -> np.ndarray:
    """``(T, K, 2)`` the landmarks a pass reports: the raw pass's raw points, the smoothed pass's smoothed ones."""
    return track.raw if kind == "raw" else track.smooth


def measure_clip(detectors: dict[str, Detector], clip: Clip, smoothing: SmoothingConfig) -> tuple[dict, dict, Clip]:
    """Every model's two passes and MediaPipe on one clip: its report entry (table lines printed), the tracks and
    the clip settled (its still steps and region, for the picture)."""
    passes = {name: model_passes(detector, clip, smoothing) for name, detector in detectors.items()}
    clip = settled(clip, passes[next(iter(detectors))]["raw"])
    assert clip.still is not None
    entry: dict[str, Any] = {
        "frames": len(clip.frames),
        "still_steps": int(clip.still.sum()),
        "region_from": clip.region_from,
        "eye_distance_px": clip.eye_distance,
        "rows": {},
    }
    for name, detector in detectors.items():
        named_ok = has_face_points(detector)
        entry["rows"][name] = {}
        for kind, track in passes[name].items():
            row = measure(pass_points(track, kind), track.named if named_ok else None, clip)
            entry["rows"][name][kind] = row
            print(table_line(name, kind, clip.name, row), flush=True)
    first = passes[next(iter(detectors))]["raw"]  # the floor: the first model's raw track, frozen at its first frame
    named_first = first.named if has_face_points(next(iter(detectors.values()))) else None
    floor = measure(frozen(first.raw), None if named_first is None else frozen(named_first), clip)
    entry["rows"][FROZEN] = {"floor": floor}
    print(table_line(FROZEN, "floor", clip.name, floor), flush=True)
    mp = mediapipe_row(clip)
    if mp is not None:
        entry["rows"]["mediapipe"] = {"own": mp}
        print(table_line("mediapipe", "own", clip.name, mp), flush=True)
    return entry, passes, clip


def benchmark(
    detectors: dict[str, Detector], clips: list[Clip], smoothing: SmoothingConfig, baseline: str | None = None
) -> tuple[dict[str, Any], dict[str, dict[str, Passes]], list[Clip]]:
    """Every model's two passes and MediaPipe on every clip: the report (per clip, the means over clips, the table
    printed as it goes, and with a ``baseline`` every other model's jitter over its own on the same steps), the
    tracks by clip and model, and the clips settled (both for the picture)."""
    report: dict[str, Any] = {"clips": {}, "means": {}}
    tracks: dict[str, dict[str, Passes]] = {}
    done = []
    print(HEADER)
    for clip in clips:
        report["clips"][clip.name], tracks[clip.name], clip_settled = measure_clip(detectors, clip, smoothing)
        done.append(clip_settled)
    for name in [*detectors, FROZEN, "mediapipe"]:
        kinds = {k for e in report["clips"].values() for k in e["rows"].get(name, {})}
        for kind in sorted(kinds):
            rows = [e["rows"][name][kind] for e in report["clips"].values() if name in e["rows"]]
            report["means"].setdefault(name, {})[kind] = means(rows)
            print(table_line(name, kind, "mean of clips", report["means"][name][kind]))
    if baseline is not None:
        face_points = {name for name, detector in detectors.items() if has_face_points(detector)}
        report["paired"] = compare(tracks, done, baseline, [m for m in detectors if m != baseline], face_points)
    return report, tracks, done


def compare(
    tracks: dict[str, dict[str, Passes]], clips: list[Clip], baseline: str, models: list[str], face_points: set[str]
) -> dict[str, Any]:
    """Each model's jitter over the ``baseline``'s on the same still steps of every clip, raw and smoothed, on the
    landmarks and (where both name face points) the five points, each with its 95 % intervals from a paired block
    bootstrap over the still steps at every block length of :data:`BLOCKS`
    (:func:`benchmarks.steadiness_measures.paired_ratio`); the lines printed."""
    out: dict[str, Any] = {"baseline": baseline, "blocks": list(BLOCKS), "draws": DRAWS, "models": {}}
    for model in models:
        entry = out["models"][model] = {}
        for kind in ("raw", "smoothed"):
            passes = {m: [tracks[c.name][m][kind] for c in clips] for m in (model, baseline)}
            series = {
                "jitter": [
                    [step_jitter(pass_points(t, kind), c.still) for t, c in zip(passes[m], clips, strict=True)]
                    for m in (model, baseline)
                ]
            }
            if {model, baseline} <= face_points:
                series["jitter_named"] = [
                    [step_motion(t.named, c.still, c.eye_distance) for t, c in zip(passes[m], clips, strict=True)]
                    for m in (model, baseline)
                ]
            entry[kind] = {key: ratio_with_intervals(*pair) for key, pair in series.items()}
            print(paired_line(model, baseline, kind, entry[kind]), flush=True)
    return out


def ratio_with_intervals(first: list[np.ndarray], second: list[np.ndarray]) -> dict[str, Any]:
    """``{"ratio": r, "intervals": {"10": [low, high], ...}}``: the paired ratio and its 95 % interval at every
    block length of :data:`BLOCKS`."""
    found = {block: paired_ratio(first, second, block=block, draws=DRAWS) for block in BLOCKS}
    return {"ratio": found[BLOCKS[0]][0], "intervals": {str(b): [lo, hi] for b, (_, lo, hi) in found.items()}}


def paired_line(model: str, baseline: str, kind: str, entry: dict[str, Any]) -> str:
    """``video / image jitter, smoothed, same still steps: landmarks 0.962 (95 % CI 0.931-0.991; blocks of 30:
    0.925-0.998), 5 points ...``"""
    parts = []
    for label, key in (("landmarks", "jitter"), ("5 points", "jitter_named")):
        if (figure := entry.get(key)) is None:
            continue
        (low, high), *more = figure["intervals"].values()
        longer = "".join(f"; blocks of {b}: {lo:.3f}-{hi:.3f}" for b, (lo, hi) in zip(BLOCKS[1:], more, strict=True))
        parts.append(f"{label} {figure['ratio']:.3f} (95 % CI {low:.3f}-{high:.3f}{longer})")
    return f"{model} / {baseline} jitter, {kind}, same still steps: " + ", ".join(parts)


def picture(path: Path, clip: Clip, detectors: dict[str, Detector], passes: dict[str, Passes]) -> None:
    """The first two models' (and MediaPipe's) tracks over the longest still stretch of ``clip``, written to
    ``path``."""
    assert clip.still is not None
    start, stop = longest_run(clip.still)  # steps start..stop-1: frames start..stop
    if stop - start < 2:
        logger.warning("picture skipped: %s has no still stretch", clip.name)
        return
    traced = []
    for name in list(detectors)[:2]:
        raw, smooth = passes[name]["raw"], passes[name]["smoothed"]
        use_named = has_face_points(detectors[name]) and smooth.named is not None and raw.named is not None
        traced.append(Traced(name, smooth.named if use_named else smooth.smooth, raw.named if use_named else raw.raw))
    if clip.five is not None:
        traced.append(Traced("mediapipe", clip.five))
    region = clip.region[start]
    assert region is not None
    seconds = clip.stamps[stop] - clip.stamps[start]
    title = (
        f"{clip.name}: frames {start}-{stop} ({seconds:.1f} s, still), point paths x8 around their means "
        "(grey: raw, colour: smoothed)"
    )
    eye = clip.eye_distance if np.isfinite(clip.eye_distance) else region.width / FACE_SIDE_PER_EYE_DISTANCE
    image = draw_stretch(clip.frames[start], region.scaled(1.15), traced, start, stop + 1, eye, title)
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), image)
    logger.info("wrote %s", path)


def selection_trials(detector: Detector, name: str, clip: Clip) -> tuple[Clip, list[Trial]]:
    """Every setting of the grid tracked over a clip (the tracker re-run with it) against the raw pass; and the clip
    settled (by this model's raw pass where it was not yet)."""
    raw = track_frames(detector, clip.frames, clip.stamps, RAW)
    clip = settled(clip, raw)  # settled already by the first model: the same reference for every model
    raw_row = measure(raw.raw, None, clip)
    trials = []
    for min_cutoff in MIN_CUTOFFS:
        for beta in BETAS:
            config = TrackerConfig(smoothing=SmoothingConfig(min_cutoff=min_cutoff, beta=beta))
            row = measure(track_frames(detector, clip.frames, clip.stamps, config).smooth, None, clip)
            jitters, lags = (row["jitter"], raw_row["jitter"]), (row["lag_frames"], raw_row["lag_frames"])
            trials.append(Trial(name, clip.name, min_cutoff, beta, jitters[0], lags[0], jitters[1], lags[1]))
    return clip, trials


def selection(detectors: dict[str, Detector], clips: list[Clip]) -> dict[str, Any]:
    """Every grid setting re-run on the train clips against the raw pass; the pick (benchmarks/smoothing_selection),
    its table printed."""
    trials = []
    for clip in clips:
        for name, detector in detectors.items():
            clip, clip_trials = selection_trials(detector, name, clip)
            trials += clip_trials
            logger.info("%s on %s: %d settings tracked", name, clip.name, len(MIN_CUTOFFS) * len(BETAS))
    result = select(trials)
    print("\n".join(selection_lines(result)))
    return result


def parse_smoothing(text: str | None) -> SmoothingConfig:
    """``MIN_CUTOFF,BETA`` as a One Euro setting (None: the tracker's default)."""
    if text is None:
        return SmoothingConfig()
    try:
        min_cutoff, beta = (float(v) for v in text.split(","))
        return SmoothingConfig(min_cutoff=min_cutoff, beta=beta)
    except ValueError:
        raise SystemExit(f"error: --smoothing {text!r}: expected MIN_CUTOFF,BETA (positive numbers)") from None


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "models", nargs="+", type=Model.parse, help="NAME=ARTIFACT[:auto|fp32|fp16|int8[:auto|detector|tracker]]"
    )
    parser.add_argument("--videos", type=Path, default=SHARED / "videos", help="folder of the held-out clips")
    parser.add_argument("--held-out", nargs="+", default=list(HELD_OUT), help="clip names in --videos")
    parser.add_argument("--train-clips", type=Path, default=TRAIN_LIST, help="the clip list the video models train on")
    parser.add_argument("--smoothing", help="MIN_CUTOFF,BETA of the smoothed pass (default: the tracker's)")
    parser.add_argument("--mtfl", type=Path, default=SHARED / "mtfl" / "train.txt", help="MTFL list (error column)")
    parser.add_argument("--no-mtfl", action="store_true", help="skip the MTFL error")
    parser.add_argument("--max-frames", type=int, help="only the first frames of each clip (smoke runs)")
    parser.add_argument("--baseline", help="the model every other is paired against (default: the second model named)")
    parser.add_argument("--picture", type=Path, help="draw the first two models over a still stretch of a clip")
    parser.add_argument("--select-smoothing", action="store_true", help="choose One Euro settings on the train clips")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/steadiness.json"))
    return parser.parse_args(argv)


def held_out_report(args: argparse.Namespace, detectors: dict[str, Detector], held_out: list[Path]) -> dict:
    """The benchmark on the held-out clips: the table, the MTFL error of every model, the picture."""
    smoothing = parse_smoothing(args.smoothing)
    report: dict[str, Any] = {"smoothing": dataclasses.asdict(smoothing)}
    clips = [load_clip(p, args.max_frames) for p in held_out]
    if clips[0].mesh is None:
        logger.warning("MediaPipe FaceMesh skipped: mediapipe.solutions is not installed")
    baseline = args.baseline or (list(detectors)[1] if len(detectors) > 1 else None)
    results, tracks, clips = benchmark(detectors, clips, smoothing, baseline)
    report.update(results)
    if args.mtfl.is_file() and not args.no_mtfl:
        report["mtfl_error"] = {}
        for name, detector in detectors.items():
            report["mtfl_error"][name] = error = mtfl_error(detector, args.mtfl)
            print(f"{name:14} MTFL error {100 * error:.2f} % (fit 8000 / test 2000)", flush=True)
    print("\nmeans over the held-out clips (docs/steadiness.md):\n" + "\n".join(markdown_rows(report)))
    if paired := report.get("paired"):
        for model, entry in paired["models"].items():
            print("\n".join(paired_line(model, paired["baseline"], kind, entry[kind]) for kind in ("raw", "smoothed")))
    if args.picture:
        picture(args.picture, clips[0], detectors, tracks[clips[0].name])
    return report


def refuse(message: str) -> int:
    """Say why the benchmark cannot run, in one line on stderr; the exit status 2."""
    print(f"error: {message}", file=sys.stderr)
    return 2


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    names = [model.name for model in args.models]
    if len(set(names)) < len(names):
        return refuse(f"the models need different names, got {', '.join(names)}")
    if reserved := {FROZEN, "mediapipe"} & set(names):
        return refuse(f"{', '.join(sorted(reserved))}: a row of the benchmark's own; name the model otherwise")
    if args.baseline is not None and args.baseline not in names:
        return refuse(f"--baseline {args.baseline}: not one of the models ({', '.join(names)})")
    train_clips = read_clip_list(args.train_clips) if args.train_clips.is_file() else []
    trained_on = {c.path.resolve() for c in train_clips}
    held_out = [args.videos / name for name in args.held_out]
    if clash := [p.name for p in held_out if p.resolve() in trained_on]:
        return refuse(f"{', '.join(clash)}: in {args.train_clips}, the clips the video models train on")
    report: dict[str, Any] = {"held_out": args.held_out, "train_clips": str(args.train_clips), "smoothing": None}
    detectors = {model.name: model.open() for model in args.models}
    report["models"] = {
        model.name: {"artifact": str(model.path), "graph": d.graph, "precision": d.precision}
        for model, d in zip(args.models, detectors.values(), strict=True)
    }
    if args.select_smoothing:
        paths = [c.path for c in train_clips if c.path.is_file()]
        if not paths:
            return refuse(f"{args.train_clips}: no train clip found")
        report["selection"] = selection(detectors, [load_clip(p, args.max_frames) for p in paths])
    else:
        if missing := [str(p) for p in held_out if not p.is_file()]:
            return refuse(f"{', '.join(missing)}: no such clip")
        report.update(held_out_report(args, detectors, held_out))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_json(args.out, finite(report))
    logger.info("wrote %s", args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
