"""Shared fixtures: tiny tasks and models built from config (never from the hub), and how the
suite is split across parallel workers (pytest-xdist, ``make test`` runs two)."""

from __future__ import annotations

import pytest
import torch

from tests import workflow_runs

# Tests run beside another worker (and beside workflow jobs) on few cores: torch's default of
# one thread per core makes two busy processes fight over every core, which is far slower than
# one thread each (docs/performance.md). Tests that need more threads set them themselves.
torch.set_num_threads(1)


def _worker_group(item: pytest.Item) -> str:
    """The xdist group of a test: its module, or ``reference`` for users of the shared run.

    ``--dist loadgroup`` sends a group to one worker, so a module-scoped workflow run is built
    once, and every module that reads the memoised reference run (directly or through
    ``finished_workflow``) shares one worker and so one run.
    """
    if "finished_workflow" in item.fixturenames or getattr(item.module, "reference_run", None) is workflow_runs.reference_run:
        return "reference"
    return item.module.__name__


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if item.get_closest_marker("xdist_group") is None:
            item.add_marker(pytest.mark.xdist_group(_worker_group(item)))

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
