"""The defaults a training command's help shows, read from the config dataclasses and the stages when the help is
shown (they import torch; ``lmsdk --help`` must not)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

from typer.core import TyperCommand


def with_help_defaults(defaults: Callable[[], Mapping[str, object]]) -> type[TyperCommand]:
    """A command class whose help ends each option's text with its default from ``defaults()`` (option name ->
    value), computed only when that help is shown."""

    class HelpDefaults(TyperCommand):
        def format_help(self, ctx: Any, formatter: Any) -> None:
            values = defaults()
            for param in self.params:
                if (
                    param.param_type_name == "option"
                    and param.name in values
                    and "(default" not in (getattr(param, "help", "") or "")
                ):
                    param.help = f"{param.help} (default: {values[param.name]})"
            super().format_help(ctx, formatter)

    return HelpDefaults


def stage_defaults(kind: str) -> dict[str, object]:
    """The defaults of a stage that builds on a run: its step cap and batch size, its settings' fields (those of
    nested settings too, e.g. BEGAN's ``lr``), the fine-tuning cadence, and the config's."""
    from lmsdk.trainer import TrainConfig
    from lmsdk.trainer.fine_tuning import CHECKPOINT_EVERY, fine_tuning_stage

    stage = fine_tuning_stage(kind)
    values: dict[str, object] = {
        "keep_checkpoints": TrainConfig.__dataclass_fields__["keep_checkpoints"].default,
        "checkpoint_every": CHECKPOINT_EVERY,
        "steps": stage.steps,
        "batch_size": stage.batch_size,
        "seed": "the source run's",
        "device": "the source run's",
        "max_minutes": "none",
        "precision": "the source run's" if stage.keeps_source_speed else "fp32",
        "compile": "the source run's" if stage.keeps_source_speed else False,
    }
    return values | _field_defaults(stage.Config)


def _field_defaults(cls: type[Any]) -> dict[str, object]:
    """The defaults of a settings dataclass's fields, and of the fields of the dataclasses it holds."""
    found: dict[str, object] = {}
    for f in dataclasses.fields(cls):
        value = f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default
        if dataclasses.is_dataclass(value):
            found |= {g.name: getattr(value, g.name) for g in dataclasses.fields(value) if g.name not in found}
        elif value is not dataclasses.MISSING:
            found[f.name] = value
    return found
