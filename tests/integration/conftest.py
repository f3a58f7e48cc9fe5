"""A finished run of the tiny test config, shared by the integration tests."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests import workflow_runs
from tests.workflow_runs import REPO, TEST_CONFIG, reference_run

__all__ = ["REPO", "TEST_CONFIG", "finished_workflow", "snakemake"]


def snakemake(workdir: Path, *args: str, config: Path = TEST_CONFIG, check: bool = True) -> subprocess.CompletedProcess:
    """Run the workflow in ``workdir`` with the repository (copy) that produced it.

    The shared reference run lives beside its own repo copy (``<base>/work`` next to
    ``<base>/repo``); rerunning with another Snakefile would change the declared input
    paths and so reschedule everything. Other workdirs use the checkout itself.
    """
    sibling = workdir.parent / "repo"
    repo = sibling if (sibling / "Snakefile").exists() else REPO
    return workflow_runs.snakemake(repo, workdir, *args, config=config, check=check)


@pytest.fixture(scope="session")
def finished_workflow(tmp_path_factory) -> Path:
    """Workdir of the completed ``snakemake --cores 2`` run of configs/test.yaml (read-only)."""
    return reference_run(tmp_path_factory)[1]
