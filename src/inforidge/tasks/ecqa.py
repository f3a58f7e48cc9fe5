"""ECQA: CommonsenseQA questions with explanations (Aggarwal et al. 2021).

Source columns (hub ``yangdong/ecqa`` and the original ``ecqa.jsonl``/CSV release):
``q_no`` (question id), ``q_concept`` (the ConceptNet concept the question was written
about), ``q_text``, ``q_op1`` … ``q_op5`` (options) and ``q_ans`` (the correct option's
text). Explanations are not used.

Prompt: the question and the five options labelled A–E, then "Answer:"; the target is
the correct option's letter (" C"), a single token for byte-level BPE and word-level
tokenizers alike, so the first target token is unique per answer class. OOD: a
seeded random ``ood_fraction`` of the question concepts is held out, so OOD questions
are about concepts never seen in training.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from inforidge.core.configschema import doc
from inforidge.tasks.base import StandardSplits
from inforidge.tasks.pooled import draw_split
from inforidge.tasks.registry import TaskKind, dataset_config_key, dataset_key, register_task_kind, revision_key
from inforidge.tasks.sources import load_table, require_columns

HUB_DATASET = "yangdong/ecqa"
LETTERS = "ABCDE"
OPTIONS = [f"q_op{i}" for i in range(1, 6)]
COLUMNS = ["q_no", "q_concept", "q_text", *OPTIONS, "q_ans"]


@dataclass(frozen=True)
class EcqaTask(StandardSplits):
    """ECQA as a five-way letter choice; OOD = held-out question concepts.

    Attributes:
        dataset: hub id or local file/directory.
        dataset_config: hub configuration (ignored for local files).
        ood_fraction: fraction of distinct ``q_concept`` values held out as OOD.
        sizes: examples per split.
        seed: seed of the concept hold-out and of the split assignment.
        revision: hub revision (branch, tag, commit, or refs/convert/parquet: the Parquet export).
    """

    dataset: str
    dataset_config: str | None
    ood_fraction: float
    sizes: dict[str, int]
    seed: int
    revision: str | None = None

    def build_split(self, split: str) -> pd.DataFrame:
        """Load the dataset, render every question and draw ``split`` from its pool."""
        table = load_table(self.dataset, self.dataset_config, self.revision)
        require_columns(table, COLUMNS, self.dataset)
        examples = pd.DataFrame([self._example(i, row) for i, row in enumerate(table.to_dict("records"))])
        return draw_split(examples, examples["concept"].isin(self.ood_concepts(examples["concept"])),
                          split, self.sizes, self.seed, "ecqa")

    def ood_concepts(self, concepts: pd.Series) -> set[str]:
        """The held-out concepts: a seeded random ``ood_fraction`` of the distinct ones."""
        distinct = sorted(set(concepts))
        count = max(1, round(self.ood_fraction * len(distinct)))
        return set(np.random.default_rng(self.seed).permutation(distinct)[:count])

    def _example(self, example_id: int, row: dict) -> dict:
        options = [str(row[c]).strip() for c in OPTIONS]
        answer_text = str(row["q_ans"]).strip()
        if answer_text not in options:
            raise ValueError(f"ECQA question {row['q_no']}: q_ans {answer_text!r} is none of the options {options}")
        letter = LETTERS[options.index(answer_text)]
        lines = [f"Question: {str(row['q_text']).strip()}"] + [f"{l}. {o}" for l, o in zip(LETTERS, options)]
        return {
            "example_id": example_id,
            "prompt": "\n".join(lines) + "\nAnswer:",
            "target": f" {letter}",
            "answer": letter,
            "signal_positions": [],
            "q_no": str(row["q_no"]),
            "concept": str(row["q_concept"]),
            "answer_text": answer_text,
            "source_split": row["source_split"],
        }


@dataclass(frozen=True)
class EcqaSettings:
    """Keys of ``kind: ecqa`` (flat in the task's config section)."""

    dataset: str | None = dataset_key()
    dataset_config: str | None = dataset_config_key()
    revision: str | None = revision_key()
    ood_fraction: float = doc("fraction of question concepts (q_concept) held out as OOD", 0.2)

    def __post_init__(self) -> None:
        if not 0 < self.ood_fraction < 1:
            raise ValueError(f"ood_fraction must lie in (0, 1), got {self.ood_fraction}")


register_task_kind(TaskKind(
    "ecqa", EcqaSettings,
    build=lambda s, cfg, sizes: EcqaTask(dataset=s.dataset or HUB_DATASET, dataset_config=s.dataset_config,
                                         ood_fraction=s.ood_fraction, sizes=sizes, seed=cfg.seed,
                                         revision=s.revision),
))
