"""Trackers side by side on the talking-face clips: speed, steadiness, smoothing lag, accuracy and memory.

    python benchmarks/tracking.py NAME=ARTIFACT[:PRECISION] ... [--videos ../shared/data/videos]
                                  [--mtfl ../shared/data/mtfl/train.txt] [--memory-frames 10000] [--sweep]
                                  [--out benchmarks/results/tracking.json]

e.g. ``faces`` (what ``lmsdk track faces`` runs: the shipped model's int8 tracker), ``teacher=faces:fp32:detector``,
``lite=faces:fp32:tracker``. For every model and clip, in one process:

- **tracking ms/frame**: the clip's frames decoded into memory first, then ``Tracker.update`` timed per frame
  (crop, model, reframing, smoothing; mean and 99th percentile);
- **lmsdk track FPS**: the command's own loop (``track_video``) reading the file, without an overlay;
- **jitter**: mean frame-to-frame landmark motion on the clip's still steps, over the landmarks' RMS spread
  around their centroid, raw and smoothed. The still steps are benchmarks/steadiness.py's, the same for every row
  of a clip and chosen by no tracker under test: the face region's own flow (around MediaPipe's five points where
  it runs, else the first model's boxes) in the clip's quietest quarter, for the step and the two before it;
- **jitter, five points**: the named face points' frame-to-frame motion in the clip's eye distances (MediaPipe's
  five points the same way), where the model names them;
- **lag**: the delay (frames, to a tenth) that best aligns a track's velocity with the face region's own flow,
  raw and smoothed (NaN where the clip has no motion to align);
- **vs MediaPipe**: the mean distance of the five named points as the tracker reports them (smoothed) from
  FaceMesh's (iris centres, nose tip, mouth corners) over each frame's MediaPipe eye distance, where both run;
- **floor**: the first model's smoothed track frozen at its first frame, measured like the models. Its jitter is 0
  by construction and it has no lag to measure: the agreement with MediaPipe is what tells it from a tracker;
- **MTFL error**: the paper's protocol on ``--mtfl`` (fit 8,000 / test 2,000, as ``lmsdk eval``);
- **memory**: resident memory over ``--memory-frames`` frames (the first clip looped; a synthetic clip
  without real clips), growth after the first tenth.

MediaPipe FaceMesh runs on the same clips when ``mediapipe`` (with its legacy ``solutions`` API) is installed
(``pip install 'lmsdk[bench]'``); it is never a dependency of lmsdk. ``--sweep`` retunes the One Euro
smoothing offline on the recorded raw tracks (jitter against lag). Real clips and MTFL are skipped when absent.
MediaPipe's timed row is its default mesh (what its users run); the still steps and its five points come from a
separate pass of its refined mesh (the iris centres), run once per clip when the clips load.
"""

from __future__ import annotations

import argparse
import logging
import os
import resource
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from benchmarks.mediapipe_mesh import face_mesh_track
from benchmarks.steadiness_clip import (
    Clip,
    agreement,
    face_lag,
    five_point_jitter,
    frozen,
    has_face_points,
    load_clip,
    settled,
    steps_measured,
)
from benchmarks.steadiness_measures import jitter, resmooth
from benchmarks.steadiness_table import finite
from benchmarks.tracker_pass import Track, load_frames, track_frames
from lmsdk.data.clips import ClipSpec, write_clip
from lmsdk.fileio import atomic_write_json
from lmsdk.runtime import Detector, Tracker, TrackerConfig, VideoSource
from lmsdk.runtime.filters import SmoothingConfig
from lmsdk.runtime.video_tracking import track_video

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
logger = logging.getLogger("tracking")


@dataclass(frozen=True)
class Model:
    name: str
    path: Path  # an artifact folder or a shipped model's name
    precision: str = "auto"
    graph: str = "auto"

    @classmethod
    def parse(cls, spec: str) -> Model:
        """``NAME=ARTIFACT[:PRECISION[:GRAPH]]`` (or a bare artifact, named after it). ``auto`` (the default for
        both): what ``lmsdk track`` runs, the tracker graph where there is one and its int8 on the CPU."""
        name, _, rest = spec.rpartition("=")
        path, _, options = rest.partition(":")
        precision, _, graph = options.partition(":")
        return cls(name or Path(path).name, Path(path), precision or "auto", graph or "auto")

    def open(self) -> Detector:
        if self.graph == "auto":
            return Detector.for_tracking(self.path, precision=self.precision)
        return Detector(self.path, graph=self.graph, precision="fp32" if self.precision == "auto" else self.precision)


def end_to_end_fps(detector: Detector, clip: Path, prefetch: bool) -> float:
    """Frames per second of ``lmsdk track``'s loop on ``clip`` without an overlay (decoding included)."""
    with VideoSource(clip) as video:
        return track_video(Tracker(detector, TrackerConfig()), video, prefetch=prefetch).pipeline_fps


def mtfl_error(detector: Detector, data: Path) -> float:
    """The paper's protocol on ``data`` (fit 8,000 / test 2,000) for the graph and precision ``detector`` runs."""
    from lmsdk.eval.evaluate import evaluate

    result = evaluate(
        detector.artifact.directory,
        str(data),
        str(data),
        fit_count=8000,
        precision=detector.precision,
        graph=detector.graph,
    ).result
    return result.mean_error


def resident_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def memory_over(detector: Detector, frames: list[np.ndarray], n: int) -> dict:
    """Resident memory while tracking ``n`` frames (``frames`` looped), sampled every n/10 frames."""
    tracker = Tracker(detector, TrackerConfig())
    samples = []
    for i in range(n):
        tracker.update(frames[i % len(frames)], i / 30)
        if (i + 1) % max(n // 10, 1) == 0:
            samples.append(round(resident_mb(), 2))
    return {"frames": n, "resident_mb": samples, "growth_mb": round(samples[-1] - samples[0], 2)}


def mediapipe_row(clip: Clip) -> dict | None:
    """MediaPipe FaceMesh (video mode, its default mesh) on a clip's frames in memory: ms/frame, the jitter of its
    468 points on the clip's still steps, of its five face points (the refined mesh's) and its lag."""
    mesh = face_mesh_track(clip.frames)
    if mesh is None or clip.still is None:
        return None
    return {
        "tracking_ms": float(np.mean(mesh.ms)),
        "tracking_p99_ms": float(np.percentile(mesh.ms, 99)),
        "jitter_smoothed": jitter(mesh.points, clip.still),
        "jitter_five_points": five_point_jitter(clip.five, clip),
        "lag_frames": face_lag(mesh.points, clip),
        "steps_measured": steps_measured(mesh.points, clip.still),
    }


def vs_mediapipe(named: np.ndarray | None, clip: Clip) -> float | None:
    """Mean distance of five named points ``(T, 5, 2)`` from MediaPipe's, in its eye distances; None without either."""
    if named is None or clip.five is None:
        return None
    return agreement(named, clip.five)[0]


def floor_row(track: Track, clip: Clip, named_ok: bool) -> dict:
    """The trivial tracker: ``track``'s smoothed points (and named points) frozen at its first found frame."""
    assert clip.still is not None  # settled
    points = frozen(track.smooth)
    named = frozen(track.named) if named_ok and track.named is not None else None
    return {
        "jitter_smoothed": jitter(points, clip.still),
        "jitter_five_points": five_point_jitter(named, clip),
        "lag_frames": face_lag(points, clip),
        "vs_mediapipe": vs_mediapipe(named, clip),
    }


def sweep(tracks: list[Track], clips: list[Clip]) -> list[dict]:
    """Jitter and lag of One Euro settings re-applied to the recorded raw tracks (means over the tracks)."""
    rows = []
    for min_cutoff in (0.3, 0.5, 1.0, 2.0):
        for beta in (0.0, 3.0, 10.0, 30.0):
            config = SmoothingConfig(min_cutoff=min_cutoff, beta=beta)
            smoothed = [resmooth(t.raw, t.boxes, t.stamps, config) for t in tracks]
            rows.append(
                {
                    "min_cutoff": min_cutoff,
                    "beta": beta,
                    "jitter": float(np.nanmean([jitter(s, c.still) for s, c in zip(smoothed, clips, strict=True)])),
                    "lag_frames": float(np.nanmean([face_lag(s, c) for s, c in zip(smoothed, clips, strict=True)])),
                }
            )
    return rows


def _num(value: float | None, width: int, digits: int = 4) -> str:
    return f"{float('nan') if value is None else value:{width}.{digits}f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "models", nargs="+", type=Model.parse, help="NAME=ARTIFACT[:auto|fp32|fp16|int8[:auto|detector|tracker]]"
    )
    parser.add_argument("--videos", type=Path, default=SHARED / "videos", help="folder of .mp4 clips")
    parser.add_argument("--mtfl", type=Path, default=SHARED / "mtfl" / "train.txt", help="MTFL list (error column)")
    parser.add_argument("--memory-frames", type=int, default=10_000, help="frames of the memory check (0: off)")
    parser.add_argument("--sweep", action="store_true", help="retune the smoothing on the recorded raw tracks")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/tracking.json"))
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    clips = sorted(args.videos.glob("*.mp4")) if args.videos.is_dir() else []
    if not clips:
        print(f"real clips skipped: {args.videos} not found", file=sys.stderr)
    loaded = {clip.name: load_clip(clip) for clip in clips}  # with MediaPipe's refined mesh where it runs
    with tempfile.TemporaryDirectory() as tmp:
        synthetic = Path(tmp) / "synthetic.avi"
        write_clip(str(synthetic), ClipSpec(width=640, height=480, frames=100, motion="drift"))
        synthetic_frames, _ = load_frames(synthetic)
        report: dict = {"cpus": os.cpu_count(), "models": [], "mediapipe": {}, "floor": {}, "sweep": {}}
        header = (
            f"{'model':12} {'clip':20} {'track ms':>8} {'p99':>6} {'model ms':>8} {'e2e fps':>8} {'+thread':>8} "
            f"{'jit raw':>8} {'smooth':>7} {'lag':>4} {'found':>9} {'5 pts':>7} {'vs mp':>6}"
        )
        print(header)
        for model in args.models:
            detector = model.open()
            named_ok = has_face_points(detector)
            row: dict = {
                "name": model.name,
                "artifact": str(model.path),
                "graph": detector.graph,
                "precision": detector.precision,
                "clips": {},
            }
            tracks, settled_clips = [], []
            for name, clip_frames in list(loaded.items()):
                frames, stamps = clip_frames.frames, clip_frames.stamps
                track_frames(detector, frames[:30], stamps[:30])  # warm-up
                track = track_frames(detector, frames, stamps)
                loaded[name] = clip_frames = settled(clip_frames, track)  # by the first model: once for every row
                still = clip_frames.still
                assert still is not None  # settled above
                tracks.append(track)
                settled_clips.append(clip_frames)
                clip = {
                    "tracking_ms": float(track.ms.mean()),
                    "tracking_p99_ms": float(np.percentile(track.ms, 99)),
                    "model_ms": float(track.model_ms.mean()),
                    "fps_in_memory": float(1000 / track.ms.mean()),
                    "e2e_fps": end_to_end_fps(detector, args.videos / name, prefetch=False),
                    "e2e_fps_decode_thread": end_to_end_fps(detector, args.videos / name, prefetch=True),
                    "jitter_raw": jitter(track.raw, still),
                    "jitter_smoothed": jitter(track.smooth, still),
                    "jitter_five_points": five_point_jitter(track.named if named_ok else None, clip_frames),
                    "vs_mediapipe": vs_mediapipe(track.named if named_ok else None, clip_frames),
                    "lag_raw_frames": face_lag(track.raw, clip_frames),
                    "lag_frames": face_lag(track.smooth, clip_frames),
                    "still_steps": int(still.sum()),
                    "steps_measured": steps_measured(track.raw, still),
                    "found": int(np.isfinite(track.raw[:, 0, 0]).sum()),
                    "frames": len(frames),
                }
                row["clips"][name] = clip
                if not report["models"]:  # the floor, from the first model's track
                    report["floor"][name] = floor_row(track, clip_frames, named_ok)
                print(
                    f"{model.name:12} {name[:20]:20} {clip['tracking_ms']:8.3f} {clip['tracking_p99_ms']:6.2f} "
                    f"{clip['model_ms']:8.3f} {clip['e2e_fps']:8.0f} {clip['e2e_fps_decode_thread']:8.0f} "
                    f"{clip['jitter_raw']:8.4f} {clip['jitter_smoothed']:7.4f} {clip['lag_frames']:4.1f} "
                    f"{clip['found']:4d}/{clip['frames']:<4d} {_num(clip['jitter_five_points'], 7)} "
                    f"{_num(clip['vs_mediapipe'], 6, 3)}",
                    flush=True,
                )
            if args.sweep and tracks:
                report["sweep"][model.name] = sweep(tracks, settled_clips)
            if args.mtfl.is_file():
                row["mtfl_error"] = mtfl_error(detector, args.mtfl)
                print(f"{model.name:12} MTFL error {100 * row['mtfl_error']:.2f} % (fit 8000 / test 2000)", flush=True)
            if args.memory_frames:
                # the first clip looped (a face model loses the synthetic face and would search every frame)
                looped = next(iter(loaded.values())).frames if loaded else synthetic_frames
                row["memory"] = memory_over(detector, looped, args.memory_frames)
                print(f"{model.name:12} memory over {args.memory_frames} frames: {row['memory']['resident_mb']} MB")
            report["models"].append(row)
        for name, floor in report["floor"].items():
            print(
                f"{'floor':12} {name[:20]:20} {'':8} {'':6} {'':8} {'':8} {'':8} {'':8} "
                f"{floor['jitter_smoothed']:7.4f} {'-':>4} {'':9} {_num(floor['jitter_five_points'], 7)} "
                f"{_num(floor['vs_mediapipe'], 6, 3)}"
            )
        for name, clip_frames in loaded.items():
            mp = mediapipe_row(clip_frames)
            if mp is None:
                skipped = (
                    "MediaPipe FaceMesh skipped: mediapipe.solutions is not installed (pip install 'lmsdk[bench]')"
                )
                print(skipped, file=sys.stderr)
                break
            report["mediapipe"][name] = mp
            print(
                f"{'mediapipe':12} {name[:20]:20} {mp['tracking_ms']:8.3f} {mp['tracking_p99_ms']:6.2f} "
                f"{'':8} {'':8} {'':8} {'':8} {mp['jitter_smoothed']:7.4f} {mp['lag_frames']:4.1f} {'':9} "
                f"{_num(mp['jitter_five_points'], 7)}"
            )
    report["peak_resident_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    args.out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_json(args.out, finite(report))  # NaN (no motion, nothing measured) as null
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
