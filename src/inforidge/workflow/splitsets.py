"""Per-checkpoint jobs over several splits: one rule per distinct split list.

A dump job, and the MI job that reads it, cover every split of one (run, checkpoint): one
model load and one start-up per checkpoint, not one per split (issue 23). Their outputs name each
split's files, but Snakemake fixes a rule's outputs when it parses the workflow, and the splits
differ by task (a text task without an OOD column has ``eval_id`` only). So the runs are grouped
by their split list, and each group gets a rule of its own, its ``run`` wildcard held to the
group's runs (:attr:`SplitSet.run_pattern`) so that no two rules can make one file.

Torch-free and Snakemake-free: ``workflow/rules/activations.smk`` and ``mi.smk`` loop over
:func:`split_sets`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class SplitSet:
    """Runs whose per-checkpoint jobs cover the same splits, in this order."""

    runs: tuple[str, ...]
    splits: tuple[str, ...]
    #: Appended to each rule's stem: "" for the config's first split list, "_2", "_3", ... after.
    suffix: str

    def rule(self, stem: str) -> str:
        """The rule name of stage ``stem`` for these runs (``activations``, ``activations_2``, ...)."""
        return stem + self.suffix

    @property
    def run_pattern(self) -> str:
        """The ``run`` wildcard's constraint: exactly these runs' names."""
        return "|".join(re.escape(run) for run in self.runs)


def split_sets(splits_of: Mapping[str, Sequence[str]]) -> list[SplitSet]:
    """The runs of ``splits_of`` (run → its splits, in config order) grouped by their split list.

    The first list met names its rules plainly; a config whose runs share one list (every
    shipped config) has exactly the rules ``activations`` and ``mi``.
    """
    groups: dict[tuple[str, ...], list[str]] = {}
    for run, splits in splits_of.items():
        if not splits:
            raise ValueError(f"run {run!r} has no split to analyse")
        if len(set(splits)) != len(splits):
            raise ValueError(f"run {run!r} names a split twice: {list(splits)}")
        groups.setdefault(tuple(splits), []).append(run)
    return [SplitSet(tuple(runs), splits, "" if i == 0 else f"_{i + 1}")
            for i, (splits, runs) in enumerate(groups.items())]
