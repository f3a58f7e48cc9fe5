"""Checkpoint schedules and the learning-rate schedule."""

from __future__ import annotations

import math

import numpy as np

from inforidge.config import TrainingConfig


def checkpoint_steps(cfg: TrainingConfig) -> list[int]:
    """Sorted checkpoint steps, always starting at 0 and ending at ``cfg.steps``.

    Explicit ``checkpoints`` win; otherwise ``checkpoint_count`` log-spaced steps up to
    ``steps`` (log spacing resolves the fast early change the ridge analysis cares about).
    """
    if cfg.checkpoints is not None:
        steps = set(cfg.checkpoints)
    else:
        steps = {int(round(s)) for s in np.geomspace(1, cfg.steps, cfg.checkpoint_count)}
    return sorted(steps | {0, cfg.steps})


def previous_step(steps: list[int], step: int) -> int | None:
    """The checkpoint before ``step`` in the chain (None for step 0)."""
    index = steps.index(step)
    return steps[index - 1] if index > 0 else None


def lr_factor(step: int, cfg: TrainingConfig) -> float:
    """Multiplier of the peak LR at optimizer step ``step`` (0-based): warmup, then decay."""
    if step < cfg.warmup_steps:
        return (step + 1) / cfg.warmup_steps
    progress = (step - cfg.warmup_steps) / max(1, cfg.steps - cfg.warmup_steps)
    if cfg.schedule == "cosine":
        return 0.5 * (1.0 + math.cos(math.pi * min(progress, 1.0)))
    if cfg.schedule == "linear":
        return max(0.0, 1.0 - progress)
    return 1.0
