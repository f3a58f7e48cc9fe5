"""Every analysis of the workflow, probes then read-outs, which one writes a table, and which
share a job.

The one place that walks both analysis registries (:mod:`inforidge.analyses.spec`), in a fixed
order: the probes in registration order, then the read-outs. The tables (:mod:`inforidge.tables.tidy`),
the report's figures (:mod:`inforidge.figures.report`) and the rules (:func:`analysis_jobs`) follow it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from inforidge.analyses.spec import AnalysisSpec
from inforidge.core.registry import settings_section
from inforidge.probes.registry import PROBES
from inforidge.readouts.registry import READOUTS

#: Config class name and doc of each analysis section.
_SECTIONS = {
    "probes": ("ProbesConfig", "Functional probes (docs/method.md, Probes); one section per registered probe."),
    "readouts": ("ReadoutsConfig",
                 "Read-outs of the activation dumps that need no kernel (docs/mi.md); one section per read-out."),
}


def analyses() -> list[AnalysisSpec]:
    """Every registered probe, then every registered read-out."""
    return [*PROBES, *READOUTS]


def analysis_spec(rule: str) -> AnalysisSpec:
    """The analysis whose per-job rule is ``rule`` (``probe_<name>`` / ``readout_<name>``): the rule's
    params name it so, since a probe and a read-out may share a name; ``KeyError`` listing the rules."""
    for spec in analyses():
        if spec.rule == rule:
            return spec
    raise KeyError(f"no probe or read-out has rule {rule!r} (rules: {', '.join(s.rule for s in analyses())})")


def table_owner(table: str) -> AnalysisSpec:
    """The analysis whose jobs write table ``table``; ``KeyError`` when none does."""
    for spec in analyses():
        if any(schema.name == table for schema in spec.tables.values()):
            return spec
    raise KeyError(f"no probe or read-out writes table {table!r}")


def config_section(section: str) -> type:
    """The ``probes`` or ``readouts`` config section: one field per analysis of that section (by its
    input), named after it and typed by its settings class."""
    class_name, text = _SECTIONS[section]
    return settings_section([spec for spec in analyses() if spec.section == section], class_name, text)


#: Name and rule of the job that runs every probe enabled at every checkpoint, one per (run, checkpoint).
SHARED_PROBES = "every_checkpoint"
SHARED_PROBES_RULE = f"probes_{SHARED_PROBES}"


@dataclass(frozen=True)
class AnalysisJob:
    """One rule of the workflow: the analyses one job runs, in order, on the same input.

    Most jobs run one analysis (rule ``probe_<name>`` / ``readout_<name>``). The probes enabled
    at every checkpoint share one job per (run, checkpoint) instead (:data:`SHARED_PROBES_RULE`):
    each would otherwise pay a job's start-up (about 5 CPU s of torch and transformers imports,
    benchmarks/README.md) to read a small model that its forward passes use for well under a
    second. The cost: editing one of them, or its settings, reruns all of them.
    """

    name: str  # its log and benchmark files' name: the analysis's, or SHARED_PROBES
    rule: str
    specs: tuple[AnalysisSpec, ...]

    def __post_init__(self) -> None:
        if not self.specs or len({spec.input for spec in self.specs}) != 1:
            raise ValueError(f"{self.rule}: a job runs one or more analyses of one input kind")
        stems = [stem for spec in self.specs for stem in spec.tables]
        if len(stems) != len(set(stems)):
            raise ValueError(f"{self.rule}: its analyses write the same output stem twice ({stems})")

    @property
    def input(self) -> str:
        return self.specs[0].input

    @property
    def section(self) -> str:
        return self.specs[0].section

    @property
    def fit_splits(self) -> bool:
        """It reads the probe-fitting splits when any of its analyses does."""
        return any(spec.fit_splits for spec in self.specs)

    @property
    def code(self) -> tuple[str, ...]:
        """The registry references its analyses run (each once, in order)."""
        return tuple(dict.fromkeys(ref for spec in self.specs for ref in spec.code))


def analysis_jobs(settings_of: Callable[[AnalysisSpec], object]) -> list[AnalysisJob]:
    """The rules of the analyses under a config (``settings_of(spec)``: its typed settings): one
    job for the probes enabled at every checkpoint, one per other analysis, in :func:`analyses` order.
    """
    def shared(spec: AnalysisSpec) -> bool:
        settings = settings_of(spec)
        return spec.input == "checkpoint" and settings.enabled and settings.checkpoints == "all"

    specs = analyses()
    together = tuple(spec for spec in specs if shared(spec))
    alone = [AnalysisJob(spec.name, spec.rule, (spec,)) for spec in specs if not shared(spec)]
    return ([AnalysisJob(SHARED_PROBES, SHARED_PROBES_RULE, together)] if together else []) + alone
