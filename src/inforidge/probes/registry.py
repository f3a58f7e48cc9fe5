"""The probe registry: every functional probe, declared once (docs/extending.md).

A probe is an :class:`~inforidge.analyses.spec.AnalysisSpec` with ``input="checkpoint"``: one
job per (run, checkpoint) that reloads the model; its job is called as
``job(checkpoint, frames: ProbeFrames, settings, device) -> {output stem: DataFrame}``.
The rule ``probe_<name>``, the config section ``probes.<name>``, the tables ``table_<table>``, the figures and the report entries are derived from
:data:`PROBES` (through :mod:`inforidge.analyses.registry`). Nothing here imports torch.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import pandas as pd

from inforidge.analyses.spec import AnalysisSpec
from inforidge.core.configschema import at_least, doc, positive, require
from inforidge.core.registry import Registry
from inforidge.figures.registry import FigureSpec
from inforidge.tables.schema import BOOL, FLOAT, INT, SPLIT, STEP, STR, Column, run_schema

ProbeSteps = Literal["all", "final"]


@dataclass(frozen=True)
class ProbeFrames:
    """A probe job's data: eval splits and probe-fitting splits, each keyed by role (id / ood)."""

    eval: Mapping[str, pd.DataFrame]
    fit: Mapping[str, pd.DataFrame] = field(default_factory=dict)


PROBES: Registry[AnalysisSpec] = Registry("probe")


# --- built-in probes -----------------------------------------------------------------------


@dataclass(frozen=True)
class ResidualScalingConfig:
    """Per-block residual scales β = exp(θ) fitted with a temperature on ID and on OOD data (weights frozen).

    Each fit frame is split by seed into fit / validation / held-out parts; the fit stops
    early on the validation loss and is scored on the held-out part and the eval splits,
    beside a temperature-only baseline fitted on the same data (docs/probes.md).
    """

    enabled: bool = doc("run this probe", True)
    checkpoints: ProbeSteps = doc("probe every checkpoint or only the final one", "final")
    steps: int = doc("cap on L-BFGS iterations per fit (a fit reaching it still moving is flagged not converged)", 300)
    lr: float = doc("first trial step of the L-BFGS strong-Wolfe line search on log β and log temperature", 1.0)
    batch_size: int = doc("rows per forward pass; every fit is full batch over its fit part (256 of 512 rows)", 256)
    seeds: list[int] = doc("fit seeds: each draws its own fit/validation/held-out partition; bands in figures",
                           factory=lambda: [0, 1, 2])
    eval_every: int = doc("measure the validation loss every this many L-BFGS iterations", 1)
    patience: int = doc("stop after this many validation checks without improvement", 5)
    min_delta: float = doc("an improvement is a validation-loss drop of more than this [nats]", 1.0e-3)
    grad_tol: float = doc("converged: every component of the loss gradient in (log β, log T) is at most this", 1.0e-4)
    fractions: list[float] = doc("fit, validation, held-out shares of each fit split (sum 1)",
                                 factory=lambda: [0.5, 0.25, 0.25])
    max_fit_examples: int | None = doc("use the first this many rows of each fit split (null: all); equal sizes keep "
                                       "ID and OOD fits comparable", 512)

    def __post_init__(self) -> None:
        at_least(self, 1, "steps", "batch_size", "eval_every", "patience", "max_fit_examples")
        positive(self, "lr")
        require(self.min_delta >= 0, "min_delta", f"must be >= 0, got {self.min_delta}")
        require(self.grad_tol >= 0, "grad_tol", f"must be >= 0, got {self.grad_tol}")
        require(bool(self.seeds), "seeds", "must name at least one seed")
        require(len(self.fractions) == 3 and min(self.fractions) > 0 and abs(sum(self.fractions) - 1) <= 1e-6,
                "fractions", f"need 3 positive shares (fit, validation, held-out) summing to 1, got {self.fractions}")


@dataclass(frozen=True)
class TunedLensConfig:
    """Tuned lens: per-layer affine translators trained on the train split of the frozen checkpoint."""

    enabled: bool = doc("run this probe", True)
    checkpoints: ProbeSteps = doc("probe every checkpoint or only the final one", "final")
    steps: int = doc("cap on Adam steps on the cached last-position states (the length is chosen on validation)",
                     250)
    lr: float = doc("Adam learning rate of the translators", 1.0e-3)
    batch_size: int = doc("cached states per step (and examples per forward pass)", 256)
    seeds: list[int] = doc("training seeds (batch order); bands in figures", factory=lambda: [0, 1, 2])
    max_train_examples: int | None = doc("cap on training examples (null: all)", 2048)
    validation_fraction: float = doc("share of the training examples held out (per seed) to choose the training "
                                     "length: the lens of the best validation check is kept (0: the last step's)", 0.2)
    eval_every: int = doc("measure the validation KL every this many steps (and at the last)", 25)

    def __post_init__(self) -> None:
        at_least(self, 1, "steps", "batch_size", "max_train_examples", "eval_every")
        positive(self, "lr")
        require(0 <= self.validation_fraction < 1, "validation_fraction",
                f"must be in [0, 1), got {self.validation_fraction}")
        require(bool(self.seeds), "seeds", "must name at least one seed")


@dataclass(frozen=True)
class CausalConfig:
    """Block ablation (zero and mean) and last-position activation patching."""

    enabled: bool = doc("run this probe", True)
    checkpoints: ProbeSteps = doc("probe every checkpoint or only the final one", "final")
    batch_size: int = doc("examples per forward pass", 64)
    max_examples: int | None = doc("cap on examples per eval split and on the reference set (null: all)", 512)
    seeds: list[int] = doc("patching pair seeds (which source each target gets); bands in figures",
                           factory=lambda: [0, 1, 2])

    def __post_init__(self) -> None:
        at_least(self, 1, "batch_size", "max_examples")
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

PROBES.register(AnalysisSpec(
    input="checkpoint",
    name="residual_scaling",
    settings=ResidualScalingConfig,
    doc="residual scaling under distribution shift: held-out study beside a temperature baseline (docs/probes.md)",
    job="inforidge.probes.stage:residual_scaling_job",
    fit_splits=True,
    tables={
        "residual_scaling_betas": run_schema(
            "residual_scaling", "Fitted residual scales β_l = exp θ_l (jointly with a temperature), one row per "
            "(fit split, fit seed, block); the parameters restored at the best validation check of the joint fit, "
            "which starts from the temperature-only solution.", [
                *_FIT,
                Column("layer", INT, "block l = 1..L that β_l scales"),
                Column("beta", FLOAT, "residual-scaling coefficient β_l > 0 (1: the unmodified block)"),
                Column("beta_norm", FLOAT, "β_l / mean over blocks of β (the profile's shape, not its level)"),
                Column("opt_step", INT, "optimizer step restored by early stopping (best validation loss)"),
                Column("converged", BOOL, "the fit ended at a small gradient (`grad_tol`) or on a stable validation "
                       "loss (last `patience` + 1 checks within `min_delta`); false: stopped by a rising "
                       "validation loss or by the iteration cap while still moving"),
            ], ["run", "step", "fit_split", "fit_seed", "layer"]),
        "residual_scaling_accuracy": run_schema(
            "residual_scaling_accuracy", "Loss and accuracy of the model before fitting, with a temperature-only "
            "baseline, and after the joint β + temperature fit; on the held-out part of the fit split and on the "
            "eval splits. What β adds is `after` − `temperature`.", [
                *_FIT,
                Column("split", STR, "scored on: `heldout` (unseen part of the fit split) or an eval role `id`/`ood`"),
                Column("phase", STR, "`before` (the model), `temperature` (temperature-only fit) or `after` "
                       "(β and temperature fitted jointly)"),
                *_READOUT,
                Column("temperature", FLOAT, "softmax temperature of this phase (1 for `before`)"),
                Column("converged", BOOL, "the fit of this phase ended at a small gradient or a stable validation "
                       "loss (`before`: true)"),
                Column("stopped_step", INT, "optimizer step restored by early stopping (`before`: 0)"),
            ], ["run", "step", "fit_split", "fit_seed", "split", "phase"]),
    },
    figures=(
        FigureSpec("residual_scaling", ("residual_scaling",), "inforidge.figures.plots:residual_scaling", "Probes",
                   "residual scaling"),
        FigureSpec("residual_scaling_accuracy", ("residual_scaling_accuracy",),
                   "inforidge.figures.plots:residual_scaling_accuracy", "Probes",
                   "residual scaling accuracy (before vs after)"),
        FigureSpec("residual_scaling_gain", ("residual_scaling_accuracy",),
                   "inforidge.figures.probeplots:residual_scaling_gain", "Probes",
                   "residual scaling gain over the temperature baseline"),
    ),
))

PROBES.register(AnalysisSpec(
    input="checkpoint",
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
    figures=(FigureSpec("early_exit", ("early_exit", "mi"), "inforidge.figures.plots:early_exit", "Probes", "early exit"),),
))

PROBES.register(AnalysisSpec(
    input="checkpoint",
    name="attention",
    settings=ReadoutProbeConfig,
    doc="attention mass on the sink, signal tokens and last token (Table 2)",
    job="inforidge.probes.stage:attention_job",
    tables={"attention": run_schema(
        "attention", "Attention of the last prompt position per layer, averaged over heads and examples.", [
            STEP, SPLIT,
            Column("layer", INT, "block l = 1..L"),
            Column("sink_mass", FLOAT, "attention mass on position 0, the attention sink (counted in no other mass)"),
            Column("signal_mass", FLOAT, "attention mass on the task's signal tokens other than position 0"),
            Column("last_mass", FLOAT, "attention mass on the last token itself"),
            Column("other_mass", FLOAT, "attention mass on all other tokens"),
            Column("sink_is_signal", FLOAT, "fraction of examples whose position 0 is a signal token"),
            Column("n", INT, "examples averaged"),
        ], ["run", "step", "split", "layer"])},
    figures=(FigureSpec("attention", ("attention",), "inforidge.figures.plots:attention", "Probes", "attention mass"),),
))

PROBES.register(AnalysisSpec(
    input="checkpoint",
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
                        "Probes", "residual-stream norm"),),
))

PROBES.register(AnalysisSpec(
    input="checkpoint",
    name="tuned_lens",
    settings=TunedLensConfig,
    doc="tuned lens (Belrose et al. 2023) beside the logit lens, trained on the train split",
    job="inforidge.probes.stage:tuned_lens_job",
    fit_splits=True,
    tables={"tuned_lens": run_schema(
        "tuned_lens", "Logit lens and tuned lens per layer at the last prompt position, per lens training seed "
        "(the logit-lens rows repeat unchanged per seed).", [
            STEP, SPLIT,
            Column("layer", INT, "layer l = 0..L read out (L: the model's own prediction, both lenses)"),
            Column("lens", STR, "`logit` (final norm + LM head) or `tuned` (per-layer affine translator first)"),
            *_READOUT[:2],
            Column("kl_to_final", FLOAT, "mean KL(p_final ‖ p_l) [nats], 0 at l = L"),
            _READOUT[2],
            Column("fit_seed", INT, "seed of the lens training (batch order, validation rows)"),
            Column("steps_chosen", INT, "training steps of the lens kept (best validation KL; 0: the logit lens)"),
        ], ["run", "step", "split", "lens", "fit_seed", "layer"])},
    figures=(FigureSpec("tuned_lens", ("tuned_lens",), "inforidge.figures.probeplots:tuned_lens", "Probes",
                        "tuned lens vs logit lens"),),
))

_PATCH_METRICS = (
    ("p_target", "probability of the target's own answer"),
    ("logit_diff", "logit of the target's answer − logit of the source's answer"),
    ("target_accuracy", "fraction whose top-1 is the target's answer"),
    ("source_rate", "fraction whose top-1 is the source's answer"),
)

PROBES.register(AnalysisSpec(
    input="checkpoint",
    name="causal",
    settings=CausalConfig,
    doc="causal checks: zero/mean ablation of each block's update, last-position activation patching",
    job="inforidge.probes.stage:causal_job",
    fit_splits=True,
    tables={
        "causal_ablation": run_schema(
            "causal_ablation", "Each block's residual update removed (zero) or replaced by its mean over the train "
            "split (mean): accuracy and loss on each eval split and the change from the intact model.", [
                STEP, SPLIT,
                Column("layer", INT, "block l = 1..L whose update is ablated"),
                Column("ablation", STR, "`zero` (update removed) or `mean` (update replaced by its per-position "
                       "mean over the reference set)"),
                *_READOUT,
                Column("delta_accuracy", FLOAT, "ablated − intact accuracy"),
                Column("delta_loss", FLOAT, "ablated − intact loss [nats]"),
            ], ["run", "step", "split", "layer", "ablation"]),
        "causal_patching": run_schema(
            "causal_patching", "resid_post[l] at the last prompt position copied from a source example into a "
            "target example with a different answer; pair means (pairs drawn by `fit_seed`).", [
                STEP,
                Column("fit_seed", INT, "seed of the (target, source) pairing"),
                Column("target_split", STR, "role the target examples come from"),
                Column("source_split", STR, "role the source examples come from"),
                Column("layer", INT, "layer l = 1..L patched (resid_post[l], the output of block l)"),
                *(Column(f"{name}{suffix}", FLOAT, text + (" on the unpatched model" if suffix else ""))
                  for suffix in ("", "_clean") for name, text in _PATCH_METRICS),
                Column("n", INT, "pairs kept (answers differ)"),
            ], ["run", "step", "fit_seed", "target_split", "source_split", "layer"]),
    },
    figures=(
        FigureSpec("causal_ablation", ("causal_ablation",), "inforidge.figures.probeplots:causal_ablation", "Probes",
                   "block ablation"),
        FigureSpec("causal_patching", ("causal_patching",), "inforidge.figures.probeplots:causal_patching", "Probes",
                   "activation patching"),
    ),
))
