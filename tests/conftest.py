"""Shared fixtures: tiny tasks and models built from config (never from the hub)."""

from __future__ import annotations

import pytest

from inforidge.config import ModelConfig
from inforidge.modeling import initial_model
from inforidge.tasks.arithmetic import ArithmeticTask

OOD_MODULI = tuple(k for k in range(5, 26) if k != 13)


@pytest.fixture(scope="session")
def tiny_task() -> ArithmeticTask:
    return ArithmeticTask(13, OOD_MODULI, 10, 100, {"train": 256, "eval_id": 64, "eval_ood": 64, "probe_ood": 64}, 0)


@pytest.fixture(scope="session")
def tiny_gpt2(tiny_task):
    return initial_model(ModelConfig(architecture="gpt2", n_layer=2, n_embd=32, n_head=2), tiny_task.vocabulary(), 0)


@pytest.fixture(scope="session")
def repo_root():
    from pathlib import Path

    return Path(__file__).resolve().parents[1]


# Real tokenizers and family fixtures (inforidge.fixtures): rank files come from pinned
# packages on the package index, cached (with the built fixtures) under .cache/ in the repo.
@pytest.fixture(scope="session")
def fixture_cache(repo_root):
    return repo_root / ".cache" / "inforidge-fixtures"


@pytest.fixture(scope="session")
def real_tokenizer(fixture_cache):
    """``real_tokenizer(family)``: the real gpt2 / llama3 / qwen2 tokenizer (built once per session)."""
    from inforidge.fixtures import build_tokenizer

    return lambda family: build_tokenizer(family, fixture_cache)


@pytest.fixture(scope="session")
def family_fixtures(fixture_cache):
    """Every family fixture (gpt2, gpt2-medium, qwen2, llama) built once: name -> directory."""
    from inforidge.fixtures import build_fixtures

    return build_fixtures(fixture_cache / "models", fixture_cache)
