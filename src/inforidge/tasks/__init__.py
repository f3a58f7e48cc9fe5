"""Tasks: one module per task kind, one interface (``inforidge.tasks.base.Task``).

Each kind's module registers itself in :data:`inforidge.tasks.registry.TASK_KINDS` (its
keys and its builder); :func:`build_task` looks the kind up there.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from inforidge.registry import resolve
from inforidge.tasks.base import Task
from inforidge.tasks.registry import TASK_KINDS

if TYPE_CHECKING:  # the config derives TaskConfig from the task registry
    from inforidge.config import TaskConfig

__all__ = ["Task", "build_task", "word_vocabulary"]


def build_task(cfg: TaskConfig) -> Task:
    """Instantiate the task described by ``cfg`` (no data is loaded until ``build_split``)."""
    kind, sizes = TASK_KINDS[cfg.kind], dict(cfg.sizes)
    if cfg.continuation is None:
        return kind.build(cfg.settings, cfg, sizes)
    if kind.continuation is None:
        supported = [k.name for k in TASK_KINDS if k.continuation]
        raise ValueError(f"continuation: not supported for task kind {cfg.kind!r} (supported: {supported})")
    return resolve(kind.continuation)(cfg, sizes)


def word_vocabulary(frames: list[pd.DataFrame]) -> list[str]:
    """Every whitespace word of every prompt and target (for word-level tokenizers)."""
    words: set[str] = set()
    for frame in frames:
        for text in frame["prompt"] + frame["target"]:
            words.update(text.split())
    return sorted(words)
