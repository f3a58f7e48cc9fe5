"""Tiny scratch models and arithmetic-task frames shared by the probe tests."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import pytest
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from inforidge.config import ModelConfig
from inforidge.models.modeling import initial_model
from inforidge.tasks.arithmetic import ArithmeticTask

ModelFactory = Callable[..., tuple[PreTrainedModel, PreTrainedTokenizerBase]]


@pytest.fixture(scope="session")
def task() -> ArithmeticTask:
    sizes = {"train": 64, "eval_id": 32, "eval_ood": 32, "probe_ood": 32}
    return ArithmeticTask(13, tuple(k for k in range(5, 26) if k != 13), 10, 100, sizes, 0)


@pytest.fixture(scope="session")
def frames(task: ArithmeticTask) -> dict[str, pd.DataFrame]:
    """Split frames keyed by split name."""
    return {split: task.build_split(split) for split in task.split_names()}


@pytest.fixture
def make_model(task: ArithmeticTask) -> ModelFactory:
    """Build a fresh 2-block model of an architecture (fresh, so tests may mutate it)."""

    def make(architecture: str = "gpt2", n_layer: int = 2) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
        cfg = ModelConfig(architecture=architecture, n_layer=n_layer, n_embd=32, n_head=2)
        model, tokenizer = initial_model(cfg, task.vocabulary(), seed=0)
        return model.eval(), tokenizer

    return make
