"""Associative recall: read the value bound to a queried key out of the context.

A prompt lists key–value pairs and ends with a query key, ``k3 v7 k1 v2 k9 v0 ? k1``; the
target is the value bound to it, `` v2``. The answer is only in the context (keys are
rebound in every example), so a model must route the queried pair's value to the last
position, an attention pattern the attention probe can see (``signal_positions`` are
the queried key, its value and the query). In distribution the context holds
``min_pairs``..``max_id_pairs`` pairs, out of distribution ``max_id_pairs + 1``..``max_pairs``
(longer contexts than any seen in training).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from inforidge.core.configschema import doc
from inforidge.tasks.base import StandardSplits, check_split_frame
from inforidge.tasks.registry import TaskKind, register_task_kind


@dataclass(frozen=True)
class RecallTask(StandardSplits):
    """Key–value recall with ID / OOD context lengths (see the module docstring)."""

    n_keys: int
    n_values: int
    min_pairs: int
    max_id_pairs: int
    max_pairs: int
    sizes: dict[str, int]
    seed: int

    def vocabulary(self) -> list[str]:
        """Every word the task can emit (for building a word-level tokenizer)."""
        return [f"k{i}" for i in range(self.n_keys)] + [f"v{i}" for i in range(self.n_values)] + ["?"]

    def build_split(self, split: str) -> pd.DataFrame:
        """Generate one split deterministically from (seed, split)."""
        if split not in self.split_names():
            raise ValueError(f"unknown split {split!r} for task recall; known: {self.split_names()}")
        rng = np.random.default_rng([self.seed, self.split_names().index(split)])
        ood = split in ("eval_ood", "probe_ood")
        rows = [self._example(rng, i, ood) for i in range(self.sizes[split])]
        return check_split_frame(pd.DataFrame(rows), split)

    def _example(self, rng: np.random.Generator, example_id: int, ood: bool) -> dict:
        low, high = (self.max_id_pairs + 1, self.max_pairs) if ood else (self.min_pairs, self.max_id_pairs)
        pairs = int(rng.integers(low, high + 1))
        keys = rng.choice(self.n_keys, size=pairs, replace=False)  # distinct: the binding is unambiguous
        values = rng.integers(0, self.n_values, size=pairs)
        queried = int(rng.integers(0, pairs))
        words = [w for k, v in zip(keys, values) for w in (f"k{k}", f"v{v}")] + ["?", f"k{keys[queried]}"]
        answer = f"v{values[queried]}"
        return {"example_id": example_id, "prompt": " ".join(words), "target": f" {answer}", "answer": answer,
                "signal_positions": [2 * queried, 2 * queried + 1, len(words) - 1], "pairs": pairs}


@dataclass(frozen=True)
class RecallSettings:
    """Keys of ``kind: recall`` (flat in the task's config section)."""

    n_keys: int = doc("distinct key words k0..k{n-1} (a context never repeats a key)", 16)
    n_values: int = doc("distinct value words v0..v{n-1}", 16)
    min_pairs: int = doc("fewest key-value pairs in an in-distribution context", 2)
    max_id_pairs: int = doc("most pairs in distribution; out-of-distribution contexts are longer", 4)
    max_pairs: int = doc("most pairs in an out-of-distribution context (at most n_keys)", 8)

    def __post_init__(self) -> None:
        if not 1 <= self.min_pairs <= self.max_id_pairs < self.max_pairs <= self.n_keys:
            raise ValueError("recall needs 1 <= min_pairs <= max_id_pairs < max_pairs <= n_keys, got "
                             f"{self.min_pairs}, {self.max_id_pairs}, {self.max_pairs}, {self.n_keys}")
        if self.n_values < 2:
            raise ValueError(f"n_values must be >= 2, got {self.n_values}")


register_task_kind(TaskKind(
    "recall", RecallSettings,
    build=lambda s, cfg, sizes: RecallTask(n_keys=s.n_keys, n_values=s.n_values, min_pairs=s.min_pairs,
                                           max_id_pairs=s.max_id_pairs, max_pairs=s.max_pairs, sizes=sizes,
                                           seed=cfg.seed),
))
