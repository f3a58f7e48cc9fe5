"""The probe registry: every functional probe, declared once (docs/extending.md).

A :class:`ProbeSpec` holds all the workflow needs to know about a probe:

- ``settings``: its config dataclass; ``probes.<name>`` in the config is derived from it
  (:func:`probes_config_class`), so validation, ``workflow/schemas/config.md`` and the
  JSON schema follow; it must have ``enabled`` and ``checkpoints`` fields;
- ``job``: ``"module:function"`` of the per-(run, checkpoint) job, imported only inside
  the job (torch stays out of planning). It is called as
  ``job(checkpoint, frames: ProbeFrames, settings, device) -> {output: DataFrame}``;
- ``tables``: per-job output file stem -> the schema of the table aggregated from it;
- ``fit_splits``: whether the job also reads the task's probe-fitting splits;
- ``figures``: its figures (registered in :data:`inforidge.figures.FIGURES`).

The rule ``probe_<name>``, the tables ``table_<table>``, the figures and the report entries
are derived from :data:`PROBES`. Nothing here imports torch.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd

from inforidge.configschema import at_least, doc, positive, require
from inforidge.figures import FIGURES, FigureSpec
from inforidge.registry import Registry, require_fields, settings_section
from inforidge.tableschema import FLOAT, INT, SPLIT, STEP, STR, Column, TableSchema, run_schema

ProbeSteps = Literal["all", "final"]


@dataclass(frozen=True)
class ProbeFrames:
    """A probe job's data: eval splits and probe-fitting splits, each keyed by role (id / ood)."""

    eval: Mapping[str, pd.DataFrame]
    fit: Mapping[str, pd.DataFrame] = field(default_factory=dict)


@dataclass(frozen=True)
class ProbeSpec:
    """One probe: its settings, per-job function, tables and figures."""

    name: str
    settings: type
    doc: str
    job: str
    tables: Mapping[str, TableSchema]
    fit_splits: bool = False
    figures: tuple[FigureSpec, ...] = ()

    def __post_init__(self) -> None:
        require_fields(self.settings, f"probe {self.name}", "enabled", "checkpoints")


PROBES: Registry[ProbeSpec] = Registry("probe")


def register_probe(spec: ProbeSpec) -> ProbeSpec:
    """Register a probe and its figures."""
    PROBES.register(spec)
    for fig in spec.figures:
        FIGURES.register(fig)
    return spec


def probes_config_class() -> type:
    """The ``probes`` config section: one field per registered probe, typed by its settings class."""
    return settings_section(PROBES, "ProbesConfig",
                            "Functional probes (docs/method.md, Probes); one section per registered probe.")


def probe_enabled(name: str) -> Any:
    """``wanted`` predicate of a probe's figures: the probe is enabled in the config."""
    return lambda cfg: getattr(cfg.probes, name).enabled


# --- built-in probes -----------------------------------------------------------------------


@dataclass(frozen=True)
class ResidualScalingConfig:
    """Trainable per-block residual scales β fitted on ID and on OOD data (weights frozen)."""

    enabled: bool = doc("run this probe", True)
    checkpoints: ProbeSteps = doc("probe every checkpoint or only the final one", "final")
    steps: int = doc("optimizer steps per fit", 150)
    lr: float = doc("Adam learning rate for β", 0.05)
    batch_size: int = doc("examples per step", 64)
    seeds: list[int] = doc("fit seeds (data order); bands in figures", factory=lambda: [0, 1, 2])
    record_every: int = doc("record β every this many steps", 10)

    def __post_init__(self) -> None:
        at_least(self, 1, "steps", "batch_size", "record_every")
        positive(self, "lr")
        require(bool(self.seeds), "seeds", "must name at least one seed")


@dataclass(frozen=True)
class ReadoutProbeConfig:
    """A probe that reads the frozen model (early exit, attention)."""

    enabled: bool = doc("run this probe", True)
    checkpoints: ProbeSteps = doc("probe every checkpoint or only the final one", "all")
    batch_size: int = doc("examples per forward pass", 64)
    max_examples: int | None = doc("cap on examples per eval split (null: all)", None)

    def __post_init__(self) -> None:
        at_least(self, 1, "batch_size", "max_examples")


_FIT = (
    STEP,
    Column("fit_split", STR, "data β was fitted on: `id` or `ood`"),
    Column("fit_seed", INT, "seed of the β fit (data order)"),
)
_READOUT = (
    Column("accuracy", FLOAT, "top-1 accuracy of the first target token"),
    Column("loss", FLOAT, "mean cross-entropy of the first target token [nats]"),
    Column("n", INT, "examples evaluated"),
)

register_probe(ProbeSpec(
    name="residual_scaling",
    settings=ResidualScalingConfig,
    doc="residual scaling under distribution shift",
    job="inforidge.probes.stage:residual_scaling_job",
    fit_splits=True,
    tables={
        "residual_scaling_betas": run_schema(
            "residual_scaling", "Residual-scaling coefficients β_l over the probe's optimisation.", [
                *_FIT,
                Column("opt_step", INT, "optimizer step of the β fit (0 = initial, all β = 1)"),
                Column("layer", INT, "block l = 1..L that β_l scales"),
                Column("beta", FLOAT, "residual-scaling coefficient β_l ≥ 0"),
            ], ["run", "step", "fit_split", "fit_seed", "opt_step", "layer"]),
        "residual_scaling_accuracy": run_schema(
            "residual_scaling_accuracy", "Accuracy of the model before / after fitting β, per eval split.", [
                *_FIT, SPLIT,
                Column("phase", STR, "`before` (all β = 1, the unmodified model) or `after` fitting"),
                *_READOUT,
            ], ["run", "step", "fit_split", "fit_seed", "split", "phase"]),
    },
    figures=(
        FigureSpec("residual_scaling", ("residual_scaling",), "inforidge.plots:residual_scaling", "Probes",
                   "residual scaling", wanted=probe_enabled("residual_scaling")),
        FigureSpec("residual_scaling_accuracy", ("residual_scaling_accuracy",),
                   "inforidge.plots:residual_scaling_accuracy", "Probes",
                   "residual scaling accuracy (before vs after)", wanted=probe_enabled("residual_scaling")),
    ),
))

register_probe(ProbeSpec(
    name="early_exit",
    settings=ReadoutProbeConfig,
    doc="logit lens per layer (the paper's Table 1)",
    job="inforidge.probes.stage:early_exit_job",
    tables={"early_exit": run_schema(
        "early_exit", "Logit-lens readout of every layer: final norm + LM head applied to resid_post[l].", [
            STEP, SPLIT,
            Column("layer", INT, "layer l = 0..L read out (L: the model's own prediction)"),
            *_READOUT,
        ], ["run", "step", "split", "layer"])},
    figures=(FigureSpec("early_exit", ("early_exit", "mi"), "inforidge.plots:early_exit", "Probes", "early exit",
                        wanted=probe_enabled("early_exit")),),
))

register_probe(ProbeSpec(
    name="attention",
    settings=ReadoutProbeConfig,
    doc="attention mass on signal vs last token (Table 2)",
    job="inforidge.probes.stage:attention_job",
    tables={"attention": run_schema(
        "attention", "Attention of the last prompt position per layer, averaged over heads and examples.", [
            STEP, SPLIT,
            Column("layer", INT, "block l = 1..L"),
            Column("signal_mass", FLOAT, "attention mass on the task's signal tokens"),
            Column("last_mass", FLOAT, "attention mass on the last token itself"),
            Column("other_mass", FLOAT, "attention mass on all other tokens"),
            Column("n", INT, "examples averaged"),
        ], ["run", "step", "split", "layer"])},
    figures=(FigureSpec("attention", ("attention",), "inforidge.plots:attention", "Probes", "attention mass",
                        wanted=probe_enabled("attention")),),
))

register_probe(ProbeSpec(
    name="residual_norm",
    settings=ReadoutProbeConfig,
    doc="L2 norm of resid_post[l] at the last prompt position per layer",
    job="inforidge.probes.residual_norm:residual_norm_job",
    tables={"residual_norm": run_schema(
        "residual_norm", "L2 norm of the residual stream at the last prompt position per layer.", [
            STEP, SPLIT,
            Column("layer", INT, "layer l = 0..L (0 = embedding output)"),
            Column("mean_norm", FLOAT, "mean over examples of ||resid_post[l]||_2 at the last prompt position"),
            Column("sd_norm", FLOAT, "standard deviation over examples (NaN for one example)", nullable=True),
            Column("n", INT, "examples averaged"),
        ], ["run", "step", "split", "layer"])},
    figures=(FigureSpec("residual_norm", ("residual_norm",), "inforidge.probes.residual_norm:draw_residual_norm",
                        "Probes", "residual-stream norm", wanted=probe_enabled("residual_norm")),),
))
