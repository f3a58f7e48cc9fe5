"""The report's figures: every figure of the workflow in report order, and those a config asks for.

The one place that gathers the figure declarations, in a fixed order that does not depend on
which module was imported first: the verdict (:data:`VERDICT`, the report's first section: where
the information lives and whether the read-outs agree), the MI and training figures (:data:`inforidge.figures.registry.FIGURES`),
then each probe's figures (probe registration order), each read-out's, then the sweep figures
(:data:`inforidge.figures.registry.SWEEP_FIGURES`). The figure rules, ``rule all``'s figure files and
the report follow this order. A probe's or read-out's figures are wanted only when it is enabled.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import TYPE_CHECKING

from inforidge.core.registry import Registry
from inforidge.figures.registry import FIGURES, SWEEP_FIGURES, FigureSpec
from inforidge.probes.registry import PROBES
from inforidge.readouts.registry import READOUTS

if TYPE_CHECKING:  # annotations only: planning reads the typed config without importing it
    from inforidge.config import Config


#: The report lists its sections alphabetically (snakemake's HTML report), so the verdict's category
#: starts with "A" to come before "Model capacity", "Mutual information", "Probes", ...
VERDICT_CATEGORY = "Answer: where the information lives"
#: The verdict table (inforidge.tables.verdict) drawn as one grid: the report's first section.
VERDICT = FigureSpec("verdict", ("verdict",), "inforidge.figures.verdictplots:verdict", VERDICT_CATEGORY,
                     "ridge verdict of every read-out per checkpoint (MI, linear probe, lenses, ablation)")


def _when_enabled(section: str, analysis: str, figures: Iterable[FigureSpec]) -> list[FigureSpec]:
    """An analysis's figures, wanted when ``cfg.<section>.<analysis>`` is enabled (and their own test passes)."""
    def gate(spec: FigureSpec) -> FigureSpec:
        own = spec.wanted
        return replace(spec, wanted=lambda cfg: getattr(getattr(cfg, section), analysis).enabled and own(cfg))

    return [gate(spec) for spec in figures]


def all_figures() -> Registry[FigureSpec]:
    """Every declared figure, by name, in report order (a name declared twice is an error)."""
    figures: Registry[FigureSpec] = Registry("figure")
    for spec in (
        VERDICT,
        *FIGURES,
        *(fig for probe in PROBES for fig in _when_enabled("probes", probe.name, probe.figures)),
        *(fig for readout in READOUTS for fig in _when_enabled("readouts", readout.name, readout.figures)),
        *SWEEP_FIGURES,
    ):
        figures.register(spec)
    return figures


def wanted_figures(cfg: Config) -> list[FigureSpec]:
    """The figures this config produces, in report order."""
    return [spec for spec in all_figures() if spec.wanted(cfg)]
