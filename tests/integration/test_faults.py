"""Faults: a workflow killed with SIGKILL mid-job leaves nothing that looks complete, and
rerunning the documented command (docs/cluster.md, "After a crash") finishes it.

The target is the second checkpoint of the tiny run (data + two training segments), so
the test costs two training jobs, not a full run.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.workflow_runs import command, copy_repo, env, snakemake

pytestmark = [pytest.mark.integration, pytest.mark.slow]

TARGET = "results/runs/tiny/checkpoints/step-4"
KILL_WAIT = 600  # s until the watched job must have started


def start_and_kill_when(repo: Path, work: Path, started: Path, target: str, settle: float = 1.0) -> None:
    """Start snakemake in its own process group; SIGKILL the whole group once ``started`` exists."""
    proc = subprocess.Popen(
        command(repo, work, "--cores", "2", "--rerun-incomplete", target), cwd=repo, env=env(),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    try:
        deadline = time.monotonic() + KILL_WAIT
        while not started.exists():
            assert proc.poll() is None, f"snakemake ended ({proc.returncode}) before {started} appeared"
            assert time.monotonic() < deadline, f"{started} did not appear within {KILL_WAIT}s"
            time.sleep(0.2)
        time.sleep(settle)  # inside the job body now (the log is opened after the imports)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def looks_complete_checkpoint(path: Path) -> bool:
    return path.is_dir() and any(path.iterdir())


@pytest.fixture
def repo(tmp_path) -> Path:
    return copy_repo(tmp_path / "repo")


def test_sigkill_during_training_leaves_nothing_complete_and_rerun_finishes(repo, tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    # Kill while the SECOND segment trains (it resumes from checkpoint 0).
    start_and_kill_when(repo, work, work / "logs" / "train" / "tiny" / "step-4.log", TARGET)

    killed = work / TARGET
    assert looks_complete_checkpoint(work / "results/runs/tiny/checkpoints/step-0"), "step 0 finished before"
    assert not looks_complete_checkpoint(killed), f"killed job left a complete-looking {killed}"
    assert not (killed / "model.safetensors").exists()
    # The killed writer's hidden temp sibling may remain; it is never a declared output
    # and the next attempt removes it (inforidge.atomic.atomic_directory).

    # Documented recovery (docs/cluster.md, "After a crash"): a SIGKILLed snakemake cannot
    # release its lock, so `--unlock` with the same arguments, then the same command again
    # (--rerun-incomplete, as the slurm profile sets it).
    rerun = ("--cores", "2", "--rerun-incomplete", TARGET)
    snakemake(repo, work, "--unlock", *rerun)
    snakemake(repo, work, *rerun)
    assert looks_complete_checkpoint(killed)
    assert not list(killed.parent.glob(".step-4.tmp-*")), "temp leftovers of the killed job were not removed"
    # Finished: nothing left to do, and step 0 was not retrained.
    dry = snakemake(repo, work, "-n", TARGET)
    assert "Nothing to be done" in dry.stdout + dry.stderr


def test_sigkill_during_activations_leaves_no_manifest(repo, tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    target = "results/runs/tiny/activations/step-0/eval_id/manifest.json"
    start_and_kill_when(repo, work, work / "logs" / "activations" / "tiny" / "step-0" / "eval_id.log", target, 0.5)
    manifest = work / target
    assert not manifest.exists(), "a killed activations job must not leave its completion marker"
    snakemake(repo, work, "--unlock", "--cores", "2", "--rerun-incomplete", target)
    snakemake(repo, work, "--cores", "2", "--rerun-incomplete", target)
    assert manifest.exists()
