"""A generic prompt → target task from any local file or hub dataset.

``columns`` maps roles to source columns: ``prompt`` and ``target`` (required), and
either ``ood`` (a boolean column: true rows are out-of-distribution; ID/OOD pools are
then split with the task seed) or ``split`` (a column whose values name the task split
of each row: train, eval_id, eval_ood, probe_ood; each split is subsampled to its
size). Targets are stripped and given one leading space; prompts lose trailing
whitespace, so ``prompt + target`` reads naturally and BPE splits at the boundary.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from inforidge.core.configschema import doc
from inforidge.tasks.base import StandardSplits, check_split_frame
from inforidge.tasks.pooled import SPLITS, answer_target, draw_split
from inforidge.tasks.registry import (
    TaskKind, answer_map_key, dataset_config_key, dataset_key, register_task_kind, revision_key,
)
from inforidge.tasks.sources import load_table, require_columns


@dataclass(frozen=True)
class TextTask(StandardSplits):
    """Prompt/target pairs read from a table with a column mapping.

    Attributes:
        dataset: hub id or local file/directory.
        dataset_config: hub configuration (ignored for local files).
        columns: role → column name (prompt, target, and ood or split).
        answer_map: renames answers before the target is built.
        sizes: examples per split.
        seed: seed of the split assignment / subsampling.
        revision: hub revision (branch, tag, commit, or refs/convert/parquet: the Parquet export).
    """

    dataset: str
    dataset_config: str | None
    columns: dict[str, str]
    answer_map: dict[str, str]
    sizes: dict[str, int]
    seed: int
    revision: str | None = None

    def build_split(self, split: str) -> pd.DataFrame:
        """Load the table, map its columns and select ``split``."""
        if split not in SPLITS:
            raise ValueError(f"unknown split {split!r} for task text; known: {SPLITS}")
        table = load_table(self.dataset, self.dataset_config, self.revision)
        require_columns(table, list(self.columns.values()), self.dataset)
        examples = self._examples(table)
        if "split" in self.columns:
            return self._from_split_column(examples, table[self.columns["split"]], split)
        if "ood" not in self.columns:
            raise ValueError(f"dataset {self.dataset}: columns needs ood or split to define the OOD splits")
        ood = table[self.columns["ood"]]
        if not pd.api.types.is_bool_dtype(ood) and not set(ood.unique()) <= {0, 1}:
            raise ValueError(f"dataset {self.dataset}: ood column {self.columns['ood']!r} must be boolean")
        return draw_split(examples, ood.astype(bool), split, self.sizes, self.seed, "text")

    def _examples(self, table: pd.DataFrame) -> pd.DataFrame:
        pairs = [answer_target(str(t), self.answer_map) for t in table[self.columns["target"]]]
        return pd.DataFrame({
            "example_id": np.arange(len(table), dtype=np.int64),
            "prompt": [str(p).rstrip() for p in table[self.columns["prompt"]]],
            "target": [t for _, t in pairs],
            "answer": [a for a, _ in pairs],
            "signal_positions": [[] for _ in range(len(table))],
            "source_split": table["source_split"],
        })

    def _from_split_column(self, examples: pd.DataFrame, labels: pd.Series, split: str) -> pd.DataFrame:
        unknown = sorted(set(labels.astype(str)) - set(SPLITS))
        if unknown:
            raise ValueError(f"dataset {self.dataset}: split column {self.columns['split']!r} has values {unknown} "
                             f"that are not task splits {SPLITS}")
        rows = np.flatnonzero(labels.astype(str).to_numpy() == split)
        if len(rows) < self.sizes[split]:
            raise ValueError(f"dataset {self.dataset}: split {split} has {len(rows)} rows, "
                             f"fewer than sizes.{split}={self.sizes[split]}")
        chosen = np.sort(np.random.default_rng([self.seed, SPLITS.index(split)]).permutation(rows)[: self.sizes[split]])
        return check_split_frame(examples.iloc[chosen].reset_index(drop=True), split)


@dataclass(frozen=True)
class TextSettings:
    """Keys of ``kind: text`` (flat in the task's config section)."""

    dataset: str | None = dataset_key()
    dataset_config: str | None = dataset_config_key()
    revision: str | None = revision_key()
    columns: dict[str, str] = doc(
        "column mapping; prompt and target required, optional ood (boolean column) or split "
        "(column whose values are split names)", factory=dict,
    )
    answer_map: dict[str, str] = answer_map_key()

    def __post_init__(self) -> None:
        missing = [k for k in ("prompt", "target") if k not in self.columns]
        if missing or not self.dataset:
            raise ValueError(f"kind 'text' needs dataset and columns.prompt/columns.target (missing: {missing or ['dataset']})")
        unknown = sorted(set(self.columns) - {"prompt", "target", "ood", "split"})
        if unknown:
            raise ValueError(f"columns: unknown role(s) {unknown} (known: prompt, target, ood, split)")
        if "ood" in self.columns and "split" in self.columns:
            raise ValueError("columns: give either ood or split, not both")


register_task_kind(TaskKind(
    "text", TextSettings,
    build=lambda s, cfg, sizes: TextTask(dataset=s.dataset, dataset_config=s.dataset_config, columns=dict(s.columns),
                                         answer_map=dict(s.answer_map), sizes=sizes, seed=cfg.seed,
                                         revision=s.revision),
    continuation="inforidge.tasks.continuation:text_continuation",
))
