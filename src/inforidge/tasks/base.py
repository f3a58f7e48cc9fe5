"""The interface every task implements, and the data contract of a split.

A split is a DataFrame with one row per example:

- ``example_id`` (int64): stable within the split;
- ``prompt`` (str) and ``target`` (str): the full text is ``prompt + target``; the target
  carries its own leading space so the first target token carries the answer;
- ``answer`` (str): the target without surrounding whitespace (what accuracy compares);
- ``signal_positions`` (list of int): whitespace-word indices of the prompt's task-relevant
  tokens (empty when the task has none); the attention probe maps them to tokens;
- any task metadata (for the synthetic task: ``modulus``, ``start``, ``step``).
"""

from __future__ import annotations

from typing import Protocol

import pandas as pd

SPLIT_COLUMNS = ("example_id", "prompt", "target", "answer", "signal_positions")
#: The four splits of a task with in-distribution and out-of-distribution data.
STANDARD_SPLITS = ("train", "eval_id", "eval_ood", "probe_ood")


class Task(Protocol):
    """A prompt → target task with in-distribution and out-of-distribution splits."""

    #: Split used for training (in-distribution).
    train_split: str
    #: Held-out evaluation splits, by role: ``{"id": ..., "ood": ...}``.
    eval_splits: dict[str, str]
    #: Splits used to fit probes: ``{"id": ..., "ood": ...}``.
    probe_splits: dict[str, str]

    def split_names(self) -> list[str]:
        """Every split this task produces."""
        ...

    def build_split(self, split: str) -> pd.DataFrame:
        """Build one split as a DataFrame following the contract above."""
        ...


def check_split_frame(frame: pd.DataFrame, split: str) -> pd.DataFrame:
    """Raise a ValueError naming the split if required columns are missing or empty."""
    missing = [c for c in SPLIT_COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"split {split!r} lacks columns {missing}")
    if frame.empty:
        raise ValueError(f"split {split!r} has no examples")
    if frame["example_id"].duplicated().any():
        raise ValueError(f"split {split!r} has duplicate example_id values")
    return frame


class StandardSplits:
    """Mixin for tasks with the four standard splits and their roles.

    ``train`` (ID) trains the model; ``eval_id``/``eval_ood`` are analysed per checkpoint;
    probes fit on ``train`` (ID) and ``probe_ood`` (OOD data kept apart from ``eval_ood``).
    """

    train_split = "train"
    eval_splits = {"id": "eval_id", "ood": "eval_ood"}
    probe_splits = {"id": "train", "ood": "probe_ood"}

    def split_names(self) -> list[str]:
        """train, eval_id, eval_ood and probe_ood."""
        return list(STANDARD_SPLITS)
