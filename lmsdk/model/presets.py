"""Architectures as values: every setting of the paper's Table 6 and Figure 40, plus lmsdk's CPU presets.

``MODEL_PRESETS[name]`` is a :class:`ModelConfig`; change K or anything else with ``.replace(...)``.
A new resolution or dataset is a new entry here, never a copied network file.
"""

from __future__ import annotations

from lmsdk.model.config import HourglassSpec, LiteSpec, ModelConfig

# Fig. 40c: detector for 64 or 80 px crops padded to 96 (and 64 -> 80, Fig. 40a, at the same widths).
PAPER_DETECTOR = HourglassSpec(
    encoder=((32, 32), (64, 64), (64, 64), (64, 64)),
    decoder=((32,), (64, 32), (64, 64), (64, 64)),
    skip_convs=3,
)
# Fig. 40d / 40b: feature hourglass, S = 64 output channels.
PAPER_FEATURE = HourglassSpec(
    encoder=((32, 64), (128,), (256,), (512,)),
    decoder=((64, 64), (64,), (128,), (256,)),
    skip_convs=2,
)
# Fig. 40f / 40e: decoder hourglass for 80 (or 64) px images; a conv to RGB follows.
PAPER_DECODER = HourglassSpec(
    encoder=((64, 64), (128,), (256,), (512,), (512,)),
    decoder=((32,), (64,), (128,), (256,), (512,)),
    skip_convs=2,
)
# Fig. 40g: 128 px crops padded to 192; a stem conv and pool, outputs at 96 (out_level 1), S = 32.
PAPER_DETECTOR_192 = HourglassSpec(
    encoder=((32,), (64,), (128,), (256,), (512,), (512,)),
    decoder=((32,), (32,), (64,), (128,), (256,), (512,)),
    skip_convs=2,
    out_level=1,
)
# Fig. 40h: decoder maps at 64 px, one extra x2 upsample (conv 32) to the 128 px output.
PAPER_DECODER_64_TO_128 = HourglassSpec(
    encoder=((64,), (128,), (256,), (512,), (512,)),
    decoder=((64,), (64,), (128,), (256,), (512,)),
    skip_convs=2,
)
# lmsdk's MNIST decoder (the paper gives none): the 80 px decoder cut to three levels for 28 px digits.
MNIST_DECODER = HourglassSpec(encoder=((64, 64), (128,), (256,)), decoder=((32,), (64,), (128,)), skip_convs=2)

_PAPER_80 = ModelConfig(
    num_landmarks=10,
    crop_size=80,
    padded_size=96,
    detector=PAPER_DETECTOR,
    feature=PAPER_FEATURE,
    decoder=PAPER_DECODER,
)

MODEL_PRESETS: dict[str, ModelConfig] = {
    # CelebA, AFLW, cat heads, shoes: 80 px crops padded to 96 (Table 6).
    "paper-80": _PAPER_80,
    # Profile cars: 64 px padded to 96; same networks, decoder at 64 px.
    "paper-64": _PAPER_80.replace(crop_size=64),
    # Animals (AwA): 64 px padded to 80 (Fig. 40a/b with the 64 px decoder).
    "paper-64-80": _PAPER_80.replace(crop_size=64, padded_size=80),
    # Human3.6M: 128 px padded to 192, detection and features at 96, decoder maps at 64.
    "paper-128": ModelConfig(
        num_landmarks=16,
        crop_size=128,
        padded_size=192,
        detector=PAPER_DETECTOR_192,
        feature=PAPER_DETECTOR_192,
        decoder=PAPER_DECODER_64_TO_128,
        detector_head_kernel=1,
        decoder_upsample=(32,),
    ),
    # MNIST: 28 px padded to 56, no descriptors: 7 landmarks are the whole code (App. B).
    "mnist": ModelConfig(
        num_landmarks=7,
        crop_size=28,
        padded_size=56,
        detector=PAPER_DETECTOR,
        feature=None,
        decoder=MNIST_DECODER,
        descriptor_dim=0,
    ),
    # lmsdk's CPU preset: about an hour of useful training on a 2-core CPU (docs/cpu-preset.md).
    "cpu": ModelConfig(
        num_landmarks=10,
        crop_size=64,
        padded_size=80,
        detector=PAPER_DETECTOR.scaled(0.5),
        feature=PAPER_FEATURE.scaled(0.25),
        decoder=PAPER_DECODER.scaled(0.25),
        decoder_feature_dim=32,
    ),
    # A tiny model for tests and smoke runs. Below 48 px the synthetic faces' parts are a few pixels and
    # learning stalls (docs/cpu-preset.md).
    "tiny": ModelConfig(
        num_landmarks=8,
        crop_size=48,
        padded_size=56,
        detector=PAPER_DETECTOR.scaled(0.25),
        feature=PAPER_FEATURE.scaled(0.125),
        decoder=PAPER_DECODER.scaled(0.125),
        decoder_feature_dim=16,
        heatmap_scales=3,
    ),
}

# Lite detectors for ``lmsdk distill`` (students of a trained detector; docs/lite.md). MMAC at 64 -> 80 px.
LITE_PRESETS: dict[str, LiteSpec] = {
    # about 7.6 MMAC, 62 k parameters: maps at 20 x 20
    "lite": LiteSpec(),
    # 17.2 MMAC (the exported manifest's macs), twice the widths: for when the smallest one loses too much
    "lite-wide": LiteSpec(stem=24, stages=((2, 32, 2), (4, 48, 3), (4, 80, 2)), head=48),
}
