"""Shared fixtures: tiny checkpoints of each family (built from config, no hub) and split frames."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from inforidge.config import ModelConfig
from inforidge.models.modeling import initial_model
from inforidge.tasks.arithmetic import ArithmeticTask

def make_task(size: int = 64) -> ArithmeticTask:
    """The synthetic task with ``size`` examples per split."""
    sizes = {"train": size, "eval_id": size, "eval_ood": size, "probe_ood": size}
    return ArithmeticTask(13, tuple(k for k in range(5, 26) if k != 13), 10, 100, sizes, 0)


def save_checkpoint(directory: Path, architecture: str, n_layer: int = 2, n_embd: int = 32, seed: int = 0) -> Path:
    """Build a tiny scratch model + tokenizer and ``save_pretrained`` both into ``directory``."""
    model, tokenizer = initial_model(
        ModelConfig(architecture=architecture, n_layer=n_layer, n_embd=n_embd, n_head=2), make_task().vocabulary(), seed
    )
    model.save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory


@pytest.fixture(scope="session")
def build_checkpoint() -> Callable[..., Path]:
    """The :func:`save_checkpoint` builder, for tests that need other sizes."""
    return save_checkpoint


@pytest.fixture(scope="session")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """checkpoint(architecture) → a cached 2-layer checkpoint directory of that family."""
    cache: dict[str, Path] = {}

    def get(architecture: str) -> Path:
        if architecture not in cache:
            cache[architecture] = save_checkpoint(tmp_path_factory.mktemp(architecture) / "step-0", architecture)
        return cache[architecture]

    return get


@pytest.fixture(scope="session")
def frame() -> pd.DataFrame:
    """40 in-distribution examples with prompts cut to 4..10 words (ragged, so right padding is exercised)."""
    split = make_task(40).build_split("eval_id")
    split["prompt"] = [" ".join(p.split(" ")[: 4 + i % 7]) for i, p in enumerate(split["prompt"])]
    return split


@pytest.fixture(scope="session")
def multi_token_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The same prompts with three-token targets (" a b c"), for decode_steps > 1."""
    multi = frame.copy()
    multi["target"] = [f"{t} {(i * 7) % 100} {(i * 3) % 100}" for i, t in enumerate(frame["target"])]
    return multi
