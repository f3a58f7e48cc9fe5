"""Tasks: one module per task, one interface (``inforidge.tasks.base.Task``)."""

from __future__ import annotations

import pandas as pd

from inforidge.config import TaskConfig
from inforidge.tasks import clutrr, ecqa
from inforidge.tasks.arithmetic import ArithmeticTask
from inforidge.tasks.base import Task
from inforidge.tasks.clutrr import ClutrrTask
from inforidge.tasks.continuation import CONTINUATION_KINDS, ArithmeticContinuationTask, TextContinuationTask
from inforidge.tasks.ecqa import EcqaTask
from inforidge.tasks.sources import PARQUET_EXPORT
from inforidge.tasks.text import TextTask

__all__ = ["Task", "build_task", "word_vocabulary"]


def build_task(cfg: TaskConfig) -> Task:
    """Instantiate the task described by ``cfg`` (no data is loaded until ``build_split``)."""
    sizes = dict(cfg.sizes)
    if cfg.continuation is not None:
        return _continuation_task(cfg, sizes)
    if cfg.kind == "arithmetic":
        return ArithmeticTask(
            modulus=cfg.modulus, ood_moduli=tuple(cfg.ood_moduli), elements=cfg.elements,
            noise_range=cfg.noise_range, sizes=sizes, seed=cfg.seed, alphabet=cfg.alphabet,
        )
    if cfg.kind == "clutrr":
        dataset = cfg.dataset or clutrr.HUB_DATASET
        # The default configuration belongs to the default hub dataset only.
        config = cfg.dataset_config or (clutrr.HUB_CONFIG if dataset == clutrr.HUB_DATASET else None)
        # CLUTRR/v1 is a script dataset: the pinned `datasets` reads only its Parquet export.
        revision = cfg.revision or (PARQUET_EXPORT if dataset == clutrr.HUB_DATASET else None)
        return ClutrrTask(dataset=dataset, dataset_config=config, max_id_hops=cfg.max_id_hops,
                          answer_map=dict(cfg.answer_map), sizes=sizes, seed=cfg.seed, revision=revision)
    if cfg.kind == "ecqa":
        return EcqaTask(dataset=cfg.dataset or ecqa.HUB_DATASET, dataset_config=cfg.dataset_config,
                        ood_fraction=cfg.ood_fraction, sizes=sizes, seed=cfg.seed, revision=cfg.revision)
    if cfg.kind == "text":
        return TextTask(dataset=cfg.dataset, dataset_config=cfg.dataset_config, columns=dict(cfg.columns),
                        answer_map=dict(cfg.answer_map), sizes=sizes, seed=cfg.seed, revision=cfg.revision)
    raise ValueError(f"unknown task kind {cfg.kind!r}")


def _continuation_task(cfg: TaskConfig, sizes: dict[str, int]) -> Task:
    """The multi-token variant of an arithmetic or text task (tasks/continuation.py)."""
    cont = cfg.continuation
    if cfg.kind not in CONTINUATION_KINDS:
        raise ValueError(f"continuation: not supported for task kind {cfg.kind!r} (supported: {list(CONTINUATION_KINDS)})")
    if cfg.kind == "arithmetic":
        base = ArithmeticTask(modulus=cfg.modulus, ood_moduli=tuple(cfg.ood_moduli), elements=cfg.elements,
                              noise_range=cfg.noise_range, sizes=sizes, seed=cfg.seed, alphabet=cfg.alphabet)
        return ArithmeticContinuationTask(base=base, horizon=cont.horizon, targets=cont.targets)
    return TextContinuationTask(
        dataset=cfg.dataset, dataset_config=cfg.dataset_config, columns=dict(cfg.columns), horizon=cont.horizon,
        max_prompt_words=cont.max_prompt_words, prompt_suffix=cont.prompt_suffix,
        max_target_words=cont.max_target_words, sizes=sizes, seed=cfg.seed, revision=cfg.revision,
    )


def word_vocabulary(frames: list[pd.DataFrame]) -> list[str]:
    """Every whitespace word of every prompt and target (for word-level tokenizers)."""
    words: set[str] = set()
    for frame in frames:
        for text in frame["prompt"] + frame["target"]:
            words.update(text.split())
    return sorted(words)
