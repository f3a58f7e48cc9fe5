"""Every analysis of the workflow, probes then read-outs, and which one writes a table.

The one place that walks both analysis registries (:mod:`inforidge.analyses.spec`), in a fixed
order: the probes in registration order, then the read-outs. The tables (:mod:`inforidge.tables.tidy`),
the report's figures (:mod:`inforidge.figures.report`) and the rules follow it.
"""

from __future__ import annotations

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
