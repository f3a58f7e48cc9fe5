"""The figure registry: the figures no probe or read-out owns, declared once.

A :class:`FigureSpec` says which tables a figure reads (in the drawing function's
argument order), where its drawing function lives (``"module:function"``, imported only
in the figure job, so planning never imports matplotlib), its report category and label,
when the config asks for it, and which config values it takes as keyword options. The
caption is ``workflow/report/<name>.rst``.

This module is a leaf: it declares, and derives nothing. :data:`FIGURES` holds the figures
of every run's MI and training tables, :data:`SWEEP_FIGURES` those comparing runs; a probe's
or read-out's figures live in its spec. :mod:`inforidge.figures.report` walks them all in report order,
and the figure rules, the report entries and the figure files of ``rule all`` follow it.

Drawing functions take ``(*tables, look=Look, **options)`` and return a matplotlib Figure.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from inforidge.core.registry import Registry
from inforidge.workflow.planning import capacity_wanted

if TYPE_CHECKING:  # annotations only: the config imports the probe registry, which imports this module
    from inforidge.config import Config


def _always(cfg: Config) -> bool:
    return True


def _no_options(cfg: Config) -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class FigureSpec:
    """One figure: its tables, drawing function, report entry, and when it is built.

    ``wanted`` of a probe's or read-out's figure is asked only when that analysis is enabled.
    """

    name: str
    tables: tuple[str, ...]
    draw: str  # "module:function", called as function(*tables, look=..., **options(cfg))
    category: str
    label: str
    wanted: Callable[[Config], bool] = field(default=_always, compare=False)
    options: Callable[[Config], dict[str, Any]] = field(default=_no_options, compare=False)


FIGURES: Registry[FigureSpec] = Registry("figure")
"""Figures of the MI and training tables of every run (first in the report)."""

SWEEP_FIGURES: Registry[FigureSpec] = Registry("sweep figure")
"""Figures comparing runs (capacity) or of the multi-token stage (last in the report)."""


def figure(name: str, tables: tuple[str, ...], draw: str, category: str, label: str, **kwargs: Any) -> FigureSpec:
    """Register a figure of the MI or training tables (see :class:`FigureSpec`)."""
    return FIGURES.register(FigureSpec(name, tables, draw, category, label, **kwargs))


# --- built-in figures ----------------------------------------------------------------------

_MI = "Mutual information"
figure("mi_by_layer", ("mi",), "inforidge.figures.plots:mi_by_layer", _MI, "MI excess over the null vs layer (ridge curves)")
figure("mi_heatmap", ("mi",), "inforidge.figures.plots:mi_heatmap", _MI, "MI heatmap (layer x step)")
figure("mi_gain", ("mi",), "inforidge.figures.plots:mi_gain", _MI, "incremental gain", wanted=lambda cfg: cfg.mi.increments)
figure("mi_null", ("mi",), "inforidge.figures.plots:mi_null", _MI, "raw MI and its permutation-null band",
       wanted=lambda cfg: cfg.mi.permutations > 0)
figure("ridge_layer", ("ridge",), "inforidge.figures.readoutplots:ridge_over_training", _MI,
       "ridge test over training (tested layer, family-wise 5 %)")
figure("final_sites", ("mi",), "inforidge.figures.plots:final_sites", _MI, "resid_post vs final_norm",
       wanted=lambda cfg: {"resid_post", "final_norm"} <= set(cfg.activations.sites))
figure("kernel_ablation", ("mi",), "inforidge.figures.plots:kernel_ablation", _MI, "kernel ablation",
       wanted=lambda cfg: len(cfg.mi.kernels) > 1)
figure("mi_entropies", ("mi",), "inforidge.figures.plots:mi_entropies", _MI, "entropies S(Z), S(Y), S(Z,Y) by layer")
figure("ridge_sigma", ("ridge",), "inforidge.figures.readoutplots:ridge_sigma", _MI, "ridge test vs bandwidth σ",
       wanted=lambda cfg: len(cfg.mi.sigmas) > 1)
figure("mi_paired", ("mi_paired",), "inforidge.figures.readoutplots:mi_paired", _MI,
       "layer minus last layer, paired by seed", wanted=lambda cfg: len(cfg.mi.seeds) > 1)
figure("training", ("training",), "inforidge.figures.plots:training_curves", "Training", "training curves")

# --- sweep figures -------------------------------------------------------------------------

_CAPACITY = dict(wanted=capacity_wanted, options=lambda cfg: {"site": cfg.capacity.site})
_MULTITOKEN = dict(wanted=lambda cfg: cfg.multitoken.enabled, options=lambda cfg: {"site": "resid_post"})
for _spec in (
    FigureSpec("capacity_mi_by_depth", ("capacity",), "inforidge.figures.sweepplots:capacity_mi_by_depth", "Model capacity",
               "MI vs relative depth", **_CAPACITY),
    FigureSpec("capacity_ridge", ("capacity",), "inforidge.figures.sweepplots:capacity_ridge", "Model capacity",
               "ridge position vs depth", **_CAPACITY),
    FigureSpec("multitoken_heatmap", ("multitoken",), "inforidge.figures.sweepplots:multitoken_heatmap",
               "Multi-token generation", "MI heatmap (layer x step t)", **_MULTITOKEN),
    FigureSpec("multitoken_curves", ("multitoken",), "inforidge.figures.sweepplots:multitoken_curves",
               "Multi-token generation", "MI vs layer per step t", **_MULTITOKEN),
):
    SWEEP_FIGURES.register(_spec)
