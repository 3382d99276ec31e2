"""Training on images and video at once: batches mix both, the flow terms see the pairs, the run's config records
every source, and a mixed run resumes exactly; the same from the command line."""

import dataclasses
import json

import pytest
import torch

from lmsdk.cli import run as cli_run
from lmsdk.data import DataConfig
from lmsdk.data.clips import ClipSpec, write_clip
from lmsdk.data.mixture import open_training_data
from lmsdk.data.sources import SourceSpec, open_source
from lmsdk.data.video import VideoFrames
from lmsdk.errors import ConfigError
from lmsdk.model import load_model
from lmsdk.trainer import read_config, train
from lmsdk.trainer.distributed import DistInfo
from lmsdk.trainer.presets import configure, flow_step
from lmsdk.trainer.run import Run


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    path = tmp_path_factory.mktemp("video") / "drift.avi"
    write_clip(str(path), ClipSpec(width=96, height=96, frames=40, motion="drift", face_size=0.6))
    return path


@pytest.fixture
def mixed(tiny_config, clip):
    data = DataConfig(source="synthetic", more_sources=(SourceSpec(str(clip)),), video_share=0.25, synthetic_count=64)
    return tiny_config.replace(
        data=data, steps=6, batch_size=8, checkpoint_every=3, sample_every=0, eval_every=0, bn_batches=2, log_every=1
    )


def _losses(run_dir):
    rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    return {r["step"]: r for r in rows if "loss" in r}


def test_a_mixed_batch_ends_with_the_pairs_first_frames(mixed, tmp_path):
    run = Run(mixed, tmp_path, DistInfo(), torch.device("cpu"))
    crops, pair = run.batch(step=3, stream_seed=0)
    assert crops.shape == (8, 3, 48, 48) and pair.crops.shape == (2, 3, 48, 48)  # 0.25 of 8: 2 pairs
    assert pair.forward_flow.shape == pair.backward_flow.shape == (2, 2, 48, 48)
    firsts = {run.data.pairs.pair(i)[0].tobytes() for i in range(run.data.pairs.pair_count)}
    seen = [c.tobytes() for c in (crops.permute(0, 2, 3, 1) * 255).round().to(torch.uint8).numpy()]
    assert all(c in firsts for c in seen[6:]) and not any(c in firsts for c in seen[:6])
    assert run.source is run.data.images  # probe, statistics and samples: the image set


def test_mixed_training_applies_the_flow_terms_records_its_sources_and_resumes_exactly(mixed, tmp_path):
    train(mixed, tmp_path / "a")
    rows = _losses(tmp_path / "a")
    assert all(r["loss/flow_equivariance"] > 0 and r["loss/flow_preference"] < 0 for r in rows.values())
    saved = read_config(tmp_path / "a")
    assert saved.data == mixed.data and saved.data.more_sources[0].source.endswith("drift.avi")

    stopped = train(mixed, tmp_path / "b", hooks=(lambda step, metrics: step == 4,))
    assert stopped.interrupted
    assert train(mixed, tmp_path / "b", resume=True).steps == 6
    again = _losses(tmp_path / "b")
    for step, row in rows.items():
        assert again[step]["loss"] == pytest.approx(row["loss"], rel=1e-5), step
    wa, wb = load_model(tmp_path / "a" / "model").state_dict(), load_model(tmp_path / "b" / "model").state_dict()
    assert all(torch.allclose(wa[k], wb[k], rtol=1e-4, atol=1e-6) for k in wa)


def test_an_image_run_is_unchanged_by_the_mixing(tiny_config, tmp_path):
    """One image source: every crop of the batch is an image, as before video could be mixed in."""
    config = tiny_config.replace(data=dataclasses.replace(tiny_config.data, synthetic_count=64))
    run = Run(config, tmp_path, DistInfo(), torch.device("cpu"))
    crops, pair = run.batch(step=0, stream_seed=0)
    assert pair is None and crops.shape[0] == config.batch_size


def test_the_command_line_takes_several_sources(capsys, clip, tmp_path):
    out = tmp_path / "run"
    args = ["train", "--preset", "tiny", "--data", "synthetic", "--data", str(clip), "--video-share", "0.5"]
    args += ["--video-gap", "3"]
    args += ["--flow-cache", str(tmp_path / "flows"), "--steps", "2", "--batch-size", "4", "--out", str(out), "-q"]
    assert cli_run(args) == 0, capsys.readouterr().err
    data = json.loads((out / "config.json").read_text())["data"]
    assert data["source"] == "synthetic" and data["more_sources"] == [{"source": str(clip), "format": None}]
    assert data["video_share"] == 0.5 and list((tmp_path / "flows").glob("drift.avi-*.npz"))
    assert (data["video_gap"], data["video_flow_step"]) == (3, 3)  # pairs 3 frames apart, their flow one hop
    assert all({"loss/flow_equivariance", "loss/concentration"} <= set(row) for row in _losses(out).values())


@pytest.mark.parametrize(("gap", "hop"), [(10, 5), (5, 5), (4, 4), (6, 3), (2, 2), (1, 1), (7, 1)])
def test_a_pair_gap_is_flowed_over_the_longest_hop_that_divides_it(gap, hop):
    """The flow of a pair is composed from hops of at most the preset's 5 frames (the paper's 5 -> 10)."""
    config = configure("cpu", data=["synthetic", "clips/"], video_gap=gap)
    assert (config.data.video_gap, config.data.video_flow_step) == (gap, hop)
    assert flow_step(gap, 5) == hop


def test_pairs_are_the_gap_apart(clip, tmp_path):
    """A configured gap reaches the video source a run opens, with its flow hop."""
    config = configure("tiny", data=str(clip), video_gap=3, flow_cache=str(tmp_path))
    frames = open_source(dataclasses.replace(config.data, video_flow_size=0), 48)
    assert isinstance(frames, VideoFrames) and (frames.gap, frames.step) == (3, 3)
    first, second, forward, _ = frames.pair(0)
    assert (first == frames.clips[0][0]).all() and (second == frames.clips[0][3]).all()
    assert len(frames.pair_index) == len(frames.clips[0]) - 3 and forward.shape == (48, 48, 2)


def test_a_gap_under_one_frame_is_refused():
    with pytest.raises(ConfigError, match=r"gap \(--video-gap\) must be at least 1 frame, got 0"):
        configure("cpu", video_gap=0)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--format", "synthetic", "--format", "video", "--format", "video"], "--format is given 3 times for 2"),
        (["--video-share", "1"], "video share 1.0"),
    ],
)
def test_bad_mixes_are_refused_in_one_line(capsys, clip, tmp_path, extra, message):
    args = ["train", "--preset", "tiny", "--data", "synthetic", "--data", str(clip), *extra]
    assert cli_run([*args, "--out", str(tmp_path / "r"), "-q"]) == 2
    errors = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and message in errors[0], errors


@pytest.mark.parametrize(
    ("sources", "changes", "warned"),
    [
        (
            ["synthetic"],
            {"video_gap": 2, "video_share": 0.25},
            "--video-gap 2 and --video-share 0.25 unused: no --data source is video",
        ),
        (["clip"], {"video_share": 0.25}, "--video-share 0.25 unused: no --data source is images"),
        (["synthetic", "clip"], {"video_gap": 2, "video_flow_step": 2, "video_share": 0.25}, None),
        (["synthetic"], {}, None),
    ],
)
def test_video_options_the_sources_leave_unused_are_named(caplog, clip, tmp_path, sources, changes, warned):
    """--video-gap without a video source, or --video-share without both kinds, is logged as unused, not ignored."""
    specs = [SourceSpec(str(clip) if s == "clip" else s) for s in sources]
    data = DataConfig(
        source=specs[0].source,
        more_sources=tuple(specs[1:]),
        synthetic_count=8,
        flow_cache=str(tmp_path),
        video_flow_size=0,
        **changes,
    )
    with caplog.at_level("WARNING", logger="lmsdk.data.mixture"):
        open_training_data(data, 32)
    messages = [r.getMessage() for r in caplog.records if r.name == "lmsdk.data.mixture"]
    assert messages == ([warned] if warned else [])
