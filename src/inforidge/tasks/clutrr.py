"""CLUTRR: kinship reasoning over short stories (Sinha et al. 2019).

Source columns (the hub dataset ``CLUTRR/v1`` and the generator's CSV files):
``story`` (names in brackets, "[Carol]"), ``query`` (the pair "('Justin', 'Carol')",
as text or a list), ``target_text`` (the relation, e.g. "grandmother") and
``task_name`` ("task_1.3": k = 3 relations in the reasoning chain).

Prompt: the story (brackets removed), then "Question: How is Carol related to Justin?"
and "Answer:"; the target is " grandmother". CLUTRR's relation holds from the query's
first entity to its second (Carol is Justin's grandmother in the paper's example).
In-distribution: chains of at most ``max_id_hops`` hops; OOD: longer chains (the
systematic-generalization split of the CLUTRR paper).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

import pandas as pd

from inforidge.core.configschema import doc
from inforidge.tasks.base import StandardSplits
from inforidge.tasks.pooled import answer_target, draw_split
from inforidge.tasks.registry import (
    TaskKind, answer_map_key, dataset_config_key, dataset_key, register_task_kind, revision_key,
)
from inforidge.tasks.sources import PARQUET_EXPORT, load_table, require_columns

HUB_DATASET = "CLUTRR/v1"
HUB_CONFIG = "gen_train234_test2to10"  # trained on k = 2..4, tested on k = 2..10
COLUMNS = ["story", "query", "target_text", "task_name"]


@dataclass(frozen=True)
class ClutrrTask(StandardSplits):
    """CLUTRR with ID = short reasoning chains and OOD = long ones.

    Attributes:
        dataset: hub id or local file/directory.
        dataset_config: hub configuration (ignored for local files).
        max_id_hops: chains with at most this many hops are in-distribution.
        answer_map: renames relations (e.g. merging in-law relations whose first token collides).
        sizes: examples per split.
        seed: seed of the split assignment.
        revision: hub revision (branch, tag, commit, or refs/convert/parquet: the Parquet export).
    """

    dataset: str
    dataset_config: str | None
    max_id_hops: int
    answer_map: dict[str, str]
    sizes: dict[str, int]
    seed: int
    revision: str | None = None

    def build_split(self, split: str) -> pd.DataFrame:
        """Load the dataset, render every example and draw ``split`` from its pool."""
        table = load_table(self.dataset, self.dataset_config, self.revision)
        require_columns(table, COLUMNS, self.dataset)
        examples = pd.DataFrame([self._example(i, row) for i, row in enumerate(table.itertuples(index=False))])
        return draw_split(examples, examples["hops"] > self.max_id_hops, split, self.sizes, self.seed, "clutrr")

    def _example(self, example_id: int, row) -> dict:
        head, tail = _query_pair(row.query)
        answer, target = answer_target(str(row.target_text), self.answer_map)
        story = re.sub(r"\[([^\]]+)\]", r"\1", str(row.story)).strip()
        return {
            "example_id": example_id,
            "prompt": f"{story}\nQuestion: How is {tail} related to {head}?\nAnswer:",
            "target": target,
            "answer": answer,
            "signal_positions": [],
            "hops": hops_of(str(row.task_name)),
            "relation": str(row.target_text),
            "source_split": row.source_split,
        }


def hops_of(task_name: str) -> int:
    """Reasoning-chain length k from a CLUTRR task name ("task_1.3" → 3)."""
    match = re.fullmatch(r"task_\d+\.(\d+)", task_name.strip())
    if not match:
        raise ValueError(f"CLUTRR task_name {task_name!r} is not of the form task_<n>.<k>")
    return int(match.group(1))


def _query_pair(query) -> tuple[str, str]:
    # The hub stores the pair as the text of a Python tuple; json/parquet copies may hold a list.
    pair = ast.literal_eval(query) if isinstance(query, str) else list(query)
    if len(pair) != 2:
        raise ValueError(f"CLUTRR query {query!r} is not a pair of names")
    return str(pair[0]), str(pair[1])


@dataclass(frozen=True)
class ClutrrSettings:
    """Keys of ``kind: clutrr`` (flat in the task's config section)."""

    dataset: str | None = dataset_key()
    dataset_config: str | None = dataset_config_key()
    revision: str | None = revision_key()
    max_id_hops: int = doc("chains of at most this many hops are in-distribution, longer ones OOD", 3)
    answer_map: dict[str, str] = answer_map_key()

    def __post_init__(self) -> None:
        if self.max_id_hops < 1:
            raise ValueError(f"max_id_hops must be >= 1, got {self.max_id_hops}")


def _build(s: ClutrrSettings, cfg, sizes: dict[str, int]) -> ClutrrTask:
    dataset = s.dataset or HUB_DATASET
    # The default configuration belongs to the default hub dataset only.
    config = s.dataset_config or (HUB_CONFIG if dataset == HUB_DATASET else None)
    # CLUTRR/v1 is a script dataset: the pinned `datasets` reads only its Parquet export.
    revision = s.revision or (PARQUET_EXPORT if dataset == HUB_DATASET else None)
    return ClutrrTask(dataset=dataset, dataset_config=config, max_id_hops=s.max_id_hops,
                      answer_map=dict(s.answer_map), sizes=sizes, seed=cfg.seed, revision=revision)


register_task_kind(TaskKind("clutrr", ClutrrSettings, build=_build))
