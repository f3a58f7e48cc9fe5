"""One spec for the probes and the read-outs: an analysis of a checkpoint or of an activation dump.

A probe reloads the model from a checkpoint (``input="checkpoint"``, one job per run and
checkpoint); a read-out reads the activation dump the MI stage reads (``input="activations"``,
one job per run, checkpoint and eval split; no model). Otherwise they are one idea, declared by
an :class:`AnalysisSpec`:

- ``settings``: its config dataclass, the section ``probes.<name>`` or ``readouts.<name>``
  (by input); it must have ``enabled`` and ``checkpoints`` fields;
- ``job``: ``"module:function"``, imported only inside the job (torch stays out of planning);
  a probe's is called as ``job(checkpoint, frames: ProbeFrames, settings, device) ->
  {stem: DataFrame}``, a read-out's as ``job(manifest, settings) -> DataFrame`` (its one stem);
- ``tables``: per-job output file stem -> the schema of the table aggregated from it;
- ``fit_splits``: a probe also reads the task's probe-fitting splits;
- ``figures``: its figures, built when the analysis is enabled (:mod:`inforidge.figures.report`).

The specs live in the registries :data:`inforidge.probes.registry.PROBES` and
:data:`inforidge.readouts.registry.READOUTS` (the module declaring the built-in ones holds the
registry, so importing it always registers them); :mod:`inforidge.analyses.registry` walks both. The
rules (``workflow/rules/analyses.smk``), the tables, the config sections, the report entries
and docs/tables.md are derived from them. Nothing here imports torch.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from inforidge.core.registry import require_fields
from inforidge.figures.registry import FigureSpec
from inforidge.tables.schema import TableSchema

AnalysisInput = Literal["checkpoint", "activations"]
#: Config section and rule-name prefix of each input kind (rules ``probe_<name>``, ``readout_<name>``).
SECTIONS: dict[str, str] = {"checkpoint": "probes", "activations": "readouts"}
RULE_PREFIXES: dict[str, str] = {"checkpoint": "probe", "activations": "readout"}
#: The reader of a dump's key columns (its manifest's provenance), which the analysis script calls for
#: a read-out. Named, not imported: a probe runs the same script, and its code inputs
#: (:attr:`AnalysisSpec.code`) should not include the activation store's modules.
DUMP_KEYS = "inforidge.activations.reader:dump_keys"


@dataclass(frozen=True)
class AnalysisSpec:
    """One probe or read-out: what it reads, its settings, per-job function, tables and figures."""

    name: str
    input: AnalysisInput
    settings: type
    doc: str
    job: str
    tables: Mapping[str, TableSchema]
    fit_splits: bool = False
    figures: tuple[FigureSpec, ...] = ()

    def __post_init__(self) -> None:
        if self.input not in SECTIONS:
            raise ValueError(f"{self.name}: input must be one of {sorted(SECTIONS)}, got {self.input!r}")
        require_fields(self.settings, self.rule, "enabled", "checkpoints")
        if self.input == "activations" and (self.fit_splits or len(self.tables) != 1):
            raise ValueError(f"read-out {self.name}: reads no task splits and writes one table per job")

    @property
    def section(self) -> str:
        """The config section holding its settings: ``probes`` or ``readouts``."""
        return SECTIONS[self.input]

    @property
    def code(self) -> tuple[str, ...]:
        """The registry references its job runs besides the script's imports: the job function, and
        for a read-out :data:`DUMP_KEYS` (the rule's code inputs: ``workflow/rules/common.smk``)."""
        return (self.job,) if self.input == "checkpoint" else (self.job, DUMP_KEYS)

    @property
    def rule(self) -> str:
        """Name of its per-job rule: ``probe_<name>`` or ``readout_<name>``."""
        return f"{RULE_PREFIXES[self.input]}_{self.name}"
