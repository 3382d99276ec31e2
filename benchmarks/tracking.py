"""Tracking speed, jitter and lag: real talking-face clips and synthetic clips with known motion.

    python benchmarks/tracking.py FACE_ARTIFACT [...] [--synthetic SYNTHETIC_ARTIFACT ...] [--steady ARTIFACT ...]
                                  [--videos ../shared/data/videos] [--out FILE.json]

Face models (trained on real faces) run on the real clips, models trained on the built-in synthetic faces
on a synthetic clip with known motion. For every artifact and clip it reports end-to-end FPS (read, track,
draw) and inference ms per frame, and jitter with and without smoothing: the mean frame-to-frame landmark
motion over the still stretches of the clip (frames whose image changes least inside the tracked box, the
quietest 25 %), as a fraction of the inter-landmark scale (RMS distance of the landmarks from their
centroid). On the synthetic clip it also reports the lag of the smoothed track behind the known motion (the
delay that best aligns the landmark centroid's velocity with the true face centroid's). Real clips are
skipped when absent.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np

from lmsdk.data.clips import ClipSpec, write_clip
from lmsdk.runtime import Detector, Tracker, TrackerConfig, VideoSource, draw_track
from lmsdk.runtime.tracking import with_smoothing

DEFAULT_VIDEOS = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "videos"


def run_clip(detector: Detector, path: Path, smoothing: bool, steady: bool = False) -> dict:
    config = with_smoothing(TrackerConfig(), smoothing)
    if steady:  # never "lost": one detection per frame, the cost of tracking once the object is found
        config = replace(config, min_confidence=0.0)
    tracker = Tracker(detector, config)
    points, raw, motion, infer = [], [], [], []
    previous = None
    start = time.perf_counter()
    with VideoSource(path) as video:
        for frame in video:
            result = tracker.update(frame.image, frame.timestamp)
            draw_track(frame.image, result)
            points.append(result.points)
            raw.append(result.raw_points)
            infer.append(result.inference_seconds)
            gray = cv2.cvtColor(frame.image, cv2.COLOR_BGR2GRAY).astype(np.float32)
            if previous is not None and result.box is not None:
                x0, y0, x1, y1 = (int(max(v, 0)) for v in result.box.to_xyxy())
                motion.append(float(np.abs(gray[y0:y1, x0:x1] - previous[y0:y1, x0:x1]).mean()))
            else:
                motion.append(np.nan)
            previous = gray
    seconds = time.perf_counter() - start
    points = np.array(points)
    scale = np.sqrt(np.nanmean(np.sum((points - np.nanmean(points, 1, keepdims=True)) ** 2, -1), 1))
    step = np.linalg.norm(np.diff(points, axis=0), axis=-1).mean(-1) / scale[1:]
    motion = np.array(motion[1:])
    valid = np.isfinite(step) & np.isfinite(motion)
    still = valid & (motion <= np.nanpercentile(motion[valid], 25)) if valid.any() else valid
    return {
        "frames": len(points),
        "found": int(np.isfinite(points[:, 0, 0]).sum()),
        "fps": len(points) / seconds,
        "inference_ms": 1000 * float(np.mean(infer)),
        "jitter": float(np.mean(step[still])) if still.any() else float("nan"),
        "points": points,
    }


def lag_frames(tracked: np.ndarray, truth: np.ndarray, max_lag: int = 12) -> int:
    """Delay (frames) that best aligns the tracked centroid's velocity with the true centroid's."""
    a = np.diff(np.nanmean(tracked, 1), axis=0)
    b = np.diff(np.nanmean(truth, 1), axis=0)
    ok = np.isfinite(a).all(1) & np.isfinite(b).all(1)
    a, b = a[ok], b[ok]
    scores = [np.sum(a[lag:] * b[: len(b) - lag]) / max(len(b) - lag, 1) for lag in range(max_lag + 1)]
    return int(np.argmax(scores))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("artifacts", nargs="*", type=Path, help="face models: run on the real clips")
    parser.add_argument(
        "--synthetic",
        nargs="*",
        type=Path,
        default=[],
        help="models trained on the built-in synthetic faces: run on a synthetic clip with known motion (lag)",
    )
    parser.add_argument(
        "--steady",
        nargs="*",
        type=Path,
        default=[],
        help="artifacts timed in steady state only (e.g. an untrained paper-size model: "
        "its landmarks mean nothing, its speed does)",
    )
    parser.add_argument("--videos", type=Path, default=DEFAULT_VIDEOS)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/tracking.json"))
    args = parser.parse_args()
    report = []
    with tempfile.TemporaryDirectory() as tmp:
        synthetic = Path(tmp) / "drift.avi"
        truth = write_clip(str(synthetic), ClipSpec(width=512, height=512, frames=150, motion="drift"))
        clips = sorted(args.videos.glob("*.mp4")) if args.videos.is_dir() else []
        if not clips:
            print(f"real clips skipped: {args.videos} not found", file=sys.stderr)
        print(
            f"{'artifact':28} {'clip':22} {'fps':>6} {'infer ms':>9} {'jitter raw':>10} {'smoothed':>9} "
            f"{'found':>6} {'lag':>8}"
        )
        for artifact in [*args.artifacts, *args.steady, *args.synthetic]:
            detector = Detector(artifact)
            steady = artifact in args.steady
            for clip in [synthetic] if artifact in args.synthetic else clips:
                raw = run_clip(detector, clip, smoothing=False, steady=steady)
                smooth = run_clip(detector, clip, smoothing=True, steady=steady)
                row = {
                    "artifact": str(artifact),
                    "clip": clip.name,
                    "fps": smooth["fps"],
                    "inference_ms": smooth["inference_ms"],
                    "jitter_raw": raw["jitter"],
                    "jitter_smoothed": smooth["jitter"],
                    "found": smooth["found"],
                    "frames": smooth["frames"],
                    "backend": detector.backend_name,
                }
                if clip == synthetic:
                    row["lag_frames_smoothed"] = lag_frames(smooth["points"], truth)
                    row["lag_frames_raw"] = lag_frames(raw["points"], truth)
                lag = f"{row.get('lag_frames_raw', '-')}/{row.get('lag_frames_smoothed', '-')}"
                print(
                    f"{artifact.name:28} {clip.name:22} {row['fps']:6.1f} {row['inference_ms']:9.2f} "
                    f"{row['jitter_raw']:10.4f} {row['jitter_smoothed']:9.4f} {row['found']:3d}/{row['frames']:<3d}"
                    f"{lag:>8}",
                    flush=True,
                )
                report.append(row)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
