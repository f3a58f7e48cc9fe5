"""Tasks: one module per task kind, one interface (``inforidge.tasks.base.Task``).

Each kind's module registers itself in :data:`inforidge.tasks.registry.TASK_KINDS` (its
keys and its builder); :func:`build_task` looks the kind up there.

A declaration (below the config in :data:`inforidge.LAYERS`): may import ``core`` only; the
tasks' prompt/target encoding contract (``encoding``) and answer alphabets live here too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from inforidge.core.registry import resolve

# Importing a kind's module registers it. Written as import statements (not a loop over
# names) so that inforidge.workflow.codedeps sees them: editing a kind's module reruns its data jobs.
# Their order decides nothing: TaskConfig's keys and the runs table's task.* columns follow
# the kinds' names (inforidge.tasks.registry.kinds_by_name).
from inforidge.tasks import arithmetic, clutrr, ecqa, recall, text  # noqa: F401, I001
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
