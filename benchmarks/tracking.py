"""Trackers side by side on the talking-face clips: speed, steadiness, smoothing lag, accuracy and memory.

    python benchmarks/tracking.py NAME=ARTIFACT[:PRECISION] ... [--videos ../shared/data/videos]
                                  [--mtfl ../shared/data/mtfl/train.txt] [--memory-frames 10000] [--sweep]
                                  [--out benchmarks/results/tracking.json]

e.g. ``faces`` (what ``lmsdk track faces`` runs: the shipped model's int8 tracker), ``teacher=faces:fp32:detector``,
``lite=faces:fp32:tracker``. For every model and clip, in one process:

- **tracking ms/frame**: the clip's frames decoded into memory first, then ``Tracker.update`` timed per frame
  (crop, model, reframing, smoothing; mean and 99th percentile);
- **lmsdk track FPS**: the command's own loop (``track_video``) reading the file, without an overlay;
- **jitter**: mean frame-to-frame landmark motion on the clip's still frames (the quietest 25 % by image
  change inside the tracked box), over the landmarks' RMS spread around their centroid, raw and smoothed;
- **lag**: the delay (frames) that best aligns the smoothed track's velocity with the raw track's;
- **MTFL error**: the paper's protocol on ``--mtfl`` (fit 8,000 / test 2,000, as ``lmsdk eval``);
- **memory**: resident memory over ``--memory-frames`` frames (the first clip looped; a synthetic clip
  without real clips), growth after the first tenth.

MediaPipe FaceMesh runs on the same clips when ``mediapipe`` (with its legacy ``solutions`` API) is installed
(``pip install 'lmsdk[bench]'``); it is never a dependency of lmsdk. ``--sweep`` retunes the One Euro
smoothing offline on the recorded raw tracks (jitter against lag). Real clips and MTFL are skipped when absent.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import resource
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from benchmarks.mediapipe_mesh import face_mesh_track
from benchmarks.steadiness_measures import jitter, lag_frames, resmooth
from lmsdk.data.clips import ClipSpec, write_clip
from lmsdk.geometry import Box
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


@dataclass
class Track:
    """One pass of a tracker over frames in memory."""

    ms: np.ndarray  # (T,) wall time of each update
    model_ms: np.ndarray  # (T,) the detector graph's share of it
    raw: np.ndarray  # (T, K, 2) unsmoothed points, NaN where lost
    smooth: np.ndarray  # (T, K, 2)
    boxes: list  # (T,) Box | None
    stamps: np.ndarray  # (T,) seconds
    named: np.ndarray | None = None  # (T, P, 2) the artifact's named points as the tracker reports them


def load_frames(path: Path, limit: int | None = None) -> tuple[list[np.ndarray], np.ndarray]:
    frames, stamps = [], []
    with VideoSource(path) as video:
        for frame in video:
            frames.append(frame.image)
            stamps.append(frame.timestamp)
            if limit and len(frames) >= limit:
                break
    return frames, np.asarray(stamps)


def track_frames(
    detector: Detector, frames: list[np.ndarray], stamps: np.ndarray, config: TrackerConfig | None = None
) -> Track:
    """One tracker (``config``, default: what ``lmsdk track`` runs) over BGR frames in memory, timed per frame."""
    tracker = Tracker(detector, config or TrackerConfig())
    ms, model_ms, raw, smooth, boxes, named = [], [], [], [], [], []
    for image, stamp in zip(frames, stamps, strict=True):
        t = time.perf_counter()
        result = tracker.update(image, float(stamp))
        ms.append(1000 * (time.perf_counter() - t))
        model_ms.append(1000 * result.inference_seconds)
        raw.append(result.raw_points)
        smooth.append(result.points)
        boxes.append(result.box)
        named.append(result.named)
    points = np.asarray(named) if named and named[0] is not None else None
    return Track(np.asarray(ms), np.asarray(model_ms), np.asarray(raw), np.asarray(smooth), boxes, stamps, points)


def still_frames(frames: list[np.ndarray], boxes: list) -> np.ndarray:
    """(T-1,) True for the steps between frames whose image changes least inside the tracked box (lowest 25 %)."""
    change = np.full(len(frames) - 1, np.nan)
    previous = cv2.cvtColor(frames[0], cv2.COLOR_BGR2GRAY).astype(np.float32)
    for i in range(1, len(frames)):
        gray = cv2.cvtColor(frames[i], cv2.COLOR_BGR2GRAY).astype(np.float32)
        if boxes[i] is not None:
            x0, y0, x1, y1 = (int(max(v, 0)) for v in boxes[i].to_xyxy())
            change[i - 1] = float(np.abs(gray[y0:y1, x0:x1] - previous[y0:y1, x0:x1]).mean())
        previous = gray
    valid = np.isfinite(change)
    return valid & (change <= np.nanpercentile(change[valid], 25)) if valid.any() else valid


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


def mediapipe_row(frames: list[np.ndarray]) -> dict | None:
    """MediaPipe FaceMesh (video mode) on frames in memory: ms/frame and jitter of its 468 points."""
    mesh = face_mesh_track(frames)
    if mesh is None:
        return None
    boxes = []
    for p in mesh.points:
        (x0, y0), (x1, y1) = p.min(0), p.max(0)
        boxes.append(Box(float(x0), float(y0), float(x1 - x0), float(y1 - y0)) if np.isfinite(p).all() else None)
    still = still_frames(frames, boxes)
    return {
        "tracking_ms": float(np.mean(mesh.ms)),
        "tracking_p99_ms": float(np.percentile(mesh.ms, 99)),
        "jitter_smoothed": jitter(mesh.points, still),
    }


def sweep(tracks: list[Track], stills: list[np.ndarray]) -> list[dict]:
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
                    "jitter": float(np.nanmean([jitter(s, still) for s, still in zip(smoothed, stills, strict=True)])),
                    "lag_frames": float(np.mean([lag_frames(s, t.raw) for s, t in zip(smoothed, tracks, strict=True)])),
                }
            )
    return rows


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
    loaded = {clip.name: load_frames(clip) for clip in clips}
    with tempfile.TemporaryDirectory() as tmp:
        synthetic = Path(tmp) / "synthetic.avi"
        write_clip(str(synthetic), ClipSpec(width=640, height=480, frames=100, motion="drift"))
        synthetic_frames, _ = load_frames(synthetic)
        report: dict = {"cpus": os.cpu_count(), "models": [], "mediapipe": {}, "sweep": {}}
        header = (
            f"{'model':12} {'clip':20} {'track ms':>8} {'p99':>6} {'model ms':>8} {'e2e fps':>8} {'+thread':>8} "
            f"{'jit raw':>8} {'smooth':>7} {'lag':>4} {'found':>8}"
        )
        print(header)
        for model in args.models:
            detector = model.open()
            row: dict = {
                "name": model.name,
                "artifact": str(model.path),
                "graph": detector.graph,
                "precision": detector.precision,
                "clips": {},
            }
            tracks, stills = [], []
            for name, (frames, stamps) in loaded.items():
                track_frames(detector, frames[:30], stamps[:30])  # warm-up
                track = track_frames(detector, frames, stamps)
                still = still_frames(frames, track.boxes)
                tracks.append(track)
                stills.append(still)
                clip = {
                    "tracking_ms": float(track.ms.mean()),
                    "tracking_p99_ms": float(np.percentile(track.ms, 99)),
                    "model_ms": float(track.model_ms.mean()),
                    "fps_in_memory": float(1000 / track.ms.mean()),
                    "e2e_fps": end_to_end_fps(detector, args.videos / name, prefetch=False),
                    "e2e_fps_decode_thread": end_to_end_fps(detector, args.videos / name, prefetch=True),
                    "jitter_raw": jitter(track.raw, still),
                    "jitter_smoothed": jitter(track.smooth, still),
                    "lag_frames": lag_frames(track.smooth, track.raw),
                    "found": int(np.isfinite(track.raw[:, 0, 0]).sum()),
                    "frames": len(frames),
                }
                row["clips"][name] = clip
                print(
                    f"{model.name:12} {name[:20]:20} {clip['tracking_ms']:8.3f} {clip['tracking_p99_ms']:6.2f} "
                    f"{clip['model_ms']:8.3f} {clip['e2e_fps']:8.0f} {clip['e2e_fps_decode_thread']:8.0f} "
                    f"{clip['jitter_raw']:8.4f} {clip['jitter_smoothed']:7.4f} {clip['lag_frames']:4d} "
                    f"{clip['found']:4d}/{clip['frames']:<4d}",
                    flush=True,
                )
            if args.sweep and tracks:
                report["sweep"][model.name] = sweep(tracks, stills)
            if args.mtfl.is_file():
                row["mtfl_error"] = mtfl_error(detector, args.mtfl)
                print(f"{model.name:12} MTFL error {100 * row['mtfl_error']:.2f} % (fit 8000 / test 2000)", flush=True)
            if args.memory_frames:
                # the first clip looped (a face model loses the synthetic face and would search every frame)
                looped = next(iter(loaded.values()))[0] if loaded else synthetic_frames
                row["memory"] = memory_over(detector, looped, args.memory_frames)
                print(f"{model.name:12} memory over {args.memory_frames} frames: {row['memory']['resident_mb']} MB")
            report["models"].append(row)
        for name, (frames, _) in loaded.items():
            mp = mediapipe_row(frames)
            if mp is None:
                skipped = (
                    "MediaPipe FaceMesh skipped: mediapipe.solutions is not installed (pip install 'lmsdk[bench]')"
                )
                print(skipped, file=sys.stderr)
                break
            report["mediapipe"][name] = mp
            print(
                f"{'mediapipe':12} {name[:20]:20} {mp['tracking_ms']:8.3f} {mp['tracking_p99_ms']:6.2f} "
                f"{'':8} {'':8} {'':8} {'':8} {mp['jitter_smoothed']:7.4f}"
            )
    report["peak_resident_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
