"""Faults: a workflow killed with SIGKILL mid-job leaves nothing that looks complete, and
rerunning the documented command (docs/cluster.md, "After a crash") finishes it.

Each test runs the tiny config with the killed job made long (thousands of training steps,
tens of thousands of examples to dump), so the kill lands mid-job however fast the machine.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.workflow_runs import command, copy_repo, env, snakemake, write_config

pytestmark = [pytest.mark.integration, pytest.mark.slow]

LONG_STEP = 3000
TARGET = f"results/runs/tiny/checkpoints/step-{LONG_STEP}"
KILL_WAIT = 600  # s until the watched job must have started


def start_and_kill_when(repo: Path, work: Path, config: Path, started: Path, target: str, settle: float = 1.0) -> None:
    """Start snakemake in its own process group; SIGKILL the whole group once ``started`` exists."""
    proc = subprocess.Popen(
        command(repo, work, "--cores", "2", "--rerun-incomplete", target, config=config), cwd=repo, env=env(),
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


@pytest.fixture
def long_training(tmp_path) -> Path:
    """The tiny config whose second (and last) segment trains for LONG_STEP steps."""
    return write_config(tmp_path / "long_training.yaml", **{
        "runs.tiny.training.steps": LONG_STEP, "runs.tiny.training.checkpoints": [0, LONG_STEP],
    })


@pytest.fixture
def long_dump(tmp_path) -> Path:
    """The tiny config with an eval split large enough that dumping it takes seconds."""
    return write_config(tmp_path / "long_dump.yaml", **{"tasks.arithmetic.sizes.eval_id": 60_000,
                                                       "activations.batch_size": 16})


def test_sigkill_during_training_leaves_nothing_complete_and_rerun_finishes(repo, tmp_path, long_training):
    work = tmp_path / "work"
    work.mkdir()
    # Kill while the SECOND segment trains (it resumes from checkpoint 0).
    start_and_kill_when(repo, work, long_training, work / "logs" / "train" / "tiny" / f"step-{LONG_STEP}.log", TARGET)

    killed = work / TARGET
    assert looks_complete_checkpoint(work / "results/runs/tiny/checkpoints/step-0"), "step 0 finished before"
    assert not looks_complete_checkpoint(killed), f"killed job left a complete-looking {killed}"
    assert not (killed / "model.safetensors").exists()
    # The killed writer's hidden temp sibling may remain; it is never a declared output
    # and the next attempt removes it (inforidge.core.atomic.atomic_directory).

    # Documented recovery (docs/cluster.md, "After a crash"): a SIGKILLed snakemake cannot
    # release its lock, so `--unlock` with the same arguments, then the same command again
    # (--rerun-incomplete, as the slurm profile sets it).
    rerun = ("--cores", "2", "--rerun-incomplete", TARGET)
    snakemake(repo, work, "--unlock", *rerun, config=long_training)
    snakemake(repo, work, *rerun, config=long_training)
    assert looks_complete_checkpoint(killed)
    assert not list(killed.parent.glob(f".step-{LONG_STEP}.tmp-*")), "temp leftovers of the killed job were not removed"
    # Finished: nothing left to do, and step 0 was not retrained.
    dry = snakemake(repo, work, "-n", TARGET, config=long_training)
    assert "Nothing to be done" in dry.stdout + dry.stderr


def test_sigkill_during_activations_leaves_no_manifest(repo, tmp_path, long_dump):
    work = tmp_path / "work"
    work.mkdir()
    target = "results/runs/tiny/activations/step-0/eval_id/manifest.json"
    log = work / "logs" / "activations" / "tiny" / "step-0" / "eval_id.log"
    start_and_kill_when(repo, work, long_dump, log, target, 2.0)
    manifest = work / target
    assert not manifest.exists(), "a killed activations job must not leave its completion marker"
    snakemake(repo, work, "--unlock", "--cores", "2", "--rerun-incomplete", target, config=long_dump)
    snakemake(repo, work, "--cores", "2", "--rerun-incomplete", target, config=long_dump)
    assert manifest.exists()
