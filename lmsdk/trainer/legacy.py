"""What lmsdk 0.x wrote before every stage had one shape, read as today's: the one place that knows the old
layouts (run configs with ``init``/``distill``/``sharpen``/``generation`` fields, checkpoints with a hand-flattened
BEGAN state). Run directories written then resume, export and evaluate as they did.
"""

from __future__ import annotations

import json
from typing import Any

import torch
from torch import Tensor

from lmsdk.configio import to_dict
from lmsdk.model.presets import LITE_PRESETS

# The old top-level fields of config.json, each naming one stage, and what that stage is called now.
_OLD_STAGES = {"init": "finetune", "distill": "distill", "sharpen": "sharpen", "generation": "generate"}


def upgrade_config(data: dict[str, Any]) -> dict[str, Any]:
    """A run config as JSON, with the old stage fields (all four present, at most one set) folded into
    ``stage``, a video run's flow computed at the crop size where the config predates ``data.video_flow_size``, and
    a generator run's ``start_from`` made explicit where it was written before there was a choice (BEGAN then
    started from noise) and its ``reconstruction`` weight where it was written before the anchor (0: none), and a
    fine-tuning run's ``keep_landmarks`` where it was written before the identity term (0: none); a config that has
    all of these already is returned as it is."""
    return _fine_tuning_made_explicit(_generation_made_explicit(_stage_folded(_upgrade_data(data))))


def _fine_tuning_made_explicit(data: dict[str, Any]) -> dict[str, Any]:
    """``data`` with ``stage.keep_landmarks = 0`` where it is a fine-tuning run's config written before the
    identity term existed (such a run trained without it)."""
    stage = data.get("stage")
    if not isinstance(stage, dict) or stage.get("kind") != "finetune" or "keep_landmarks" in stage:
        return data
    return {**data, "stage": {**stage, "keep_landmarks": 0.0}}


def _generation_made_explicit(data: dict[str, Any]) -> dict[str, Any]:
    """``data`` with ``stage.start_from = "noise"`` and ``stage.reconstruction = 0`` where it is a generator run's
    config without them (written before either existed)."""
    stage = data.get("stage")
    if not isinstance(stage, dict) or stage.get("kind") != "generate":
        return data
    defaults = {"start_from": "noise", "reconstruction": 0.0}
    missing = {k: v for k, v in defaults.items() if k not in stage}
    return {**data, "stage": {**stage, **missing}} if missing else data


def _stage_folded(data: dict[str, Any]) -> dict[str, Any]:
    """``data`` with the old top-level stage fields folded into ``stage``."""
    if "stage" in data or not set(_OLD_STAGES) & set(data):
        return data
    data = dict(data)
    old = {name: data.pop(name, None) for name in _OLD_STAGES}
    named = [(name, value) for name, value in old.items() if value is not None]
    if not named:
        return data
    name, value = named[0]
    kind = _OLD_STAGES[name]
    if name == "init":
        data["stage"] = {"kind": kind, "source": value}
    elif name == "distill" and isinstance(value, dict):
        settings = {("source" if k == "teacher" else k): v for k, v in value.items()}
        data["stage"] = {"kind": kind, **settings, **_lite_arch(data.get("model"))}
    else:
        data["stage"] = {"kind": kind, **value} if isinstance(value, dict) else value
    return data


def _upgrade_data(data: dict[str, Any]) -> dict[str, Any]:
    """Before ``video_flow_size`` the flow was computed on the training crops themselves (0 says so)."""
    source = data.get("data")
    if not isinstance(source, dict) or "video_flow_size" in source:
        return data
    return {**data, "data": {**source, "video_flow_size": 0}}


def _lite_arch(model: Any) -> dict[str, str]:
    """``{"arch": NAME}`` of the lite preset a distilled model config holds (the old configs kept only its spec)."""
    lite = model.get("lite") if isinstance(model, dict) else None
    names = [name for name, spec in LITE_PRESETS.items() if json.loads(json.dumps(to_dict(spec))) == lite]
    return {"arch": names[0]} if names else {}


def upgrade_checkpoint(
    meta: dict[str, Any], optimizer: dict[str, Tensor], extra: dict[str, Tensor]
) -> tuple[dict[str, Any], dict[str, Tensor], dict[str, Tensor]]:
    """A checkpoint's ``state.json``, optimizer and extra tensors in today's layout (see
    :mod:`lmsdk.trainer.checkpoints`): a sharpening's ``disc.*``/``disc_opt.*`` and a generation's discriminator
    (its Adam state a second parameter group of the run's optimizer, ``k`` in the progress) become the
    ``began`` networks and optimizer of :class:`~lmsdk.trainer.balance.BeganBalance`."""
    meta = {**meta, "state": dict(meta.get("state", {}))}
    progress_extra = meta["state"].pop("extra", None) or {}
    groups = meta.get("param_groups") or []
    if any(key.startswith(("disc.", "disc_opt.")) for key in extra):  # a sharpening
        optimizer = optimizer | {
            "began." + key[len("disc_opt.") :]: value for key, value in extra.items() if key.startswith("disc_opt.")
        }
        extra = {_renamed(key): value for key, value in extra.items() if not key.startswith("disc_opt.")}
    elif len(groups) == 2 and groups[1].get("name") == "discriminator":  # a generation
        disc = groups[1]["params"]
        position = {index: i for i, index in enumerate(disc)}
        kept, began = {}, {}
        for key, value in optimizer.items():
            index, slot = key.split(".", 1)
            if int(index) in position:
                began[f"began.{position[int(index)]}.{slot}"] = value
            else:
                kept[key] = value
        optimizer = kept | began
        meta["param_groups"] = groups[:1]
        meta["optimizers"] = {"began": [{**groups[1], "params": list(range(len(disc)))}]}
        extra = {_renamed(key): value for key, value in extra.items()}
        extra["began.k"] = torch.tensor(float(progress_extra.get("k", 0.0)), dtype=torch.float64)
    return meta, optimizer, extra


def _renamed(key: str) -> str:
    """An old discriminator weight's name (``disc.*`` in sharpening, ``discriminator.*`` in generation) as today's."""
    for old in ("disc.", "discriminator."):
        if key.startswith(old):
            return "began.disc." + key[len(old) :]
    return key
