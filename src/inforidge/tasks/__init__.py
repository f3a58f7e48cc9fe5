"""Tasks: one module per task, one interface (``inforidge.tasks.base.Task``)."""

from __future__ import annotations

import pandas as pd

from inforidge.config import TaskConfig
from inforidge.tasks.arithmetic import ArithmeticTask
from inforidge.tasks.base import Task

__all__ = ["Task", "build_task", "word_vocabulary"]


def build_task(cfg: TaskConfig) -> Task:
    """Instantiate the task described by ``cfg``."""
    if cfg.kind == "arithmetic":
        return ArithmeticTask(
            modulus=cfg.modulus, ood_moduli=tuple(cfg.ood_moduli), elements=cfg.elements,
            noise_range=cfg.noise_range, sizes=dict(cfg.sizes), seed=cfg.seed,
        )
    raise ValueError(f"unknown task kind {cfg.kind!r}")


def word_vocabulary(frames: list[pd.DataFrame]) -> list[str]:
    """Every whitespace word of every prompt and target (for word-level tokenizers)."""
    words: set[str] = set()
    for frame in frames:
        for text in frame["prompt"] + frame["target"]:
            words.update(text.split())
    return sorted(words)
