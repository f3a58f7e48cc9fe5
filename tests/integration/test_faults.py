"""Faults: a workflow killed with SIGKILL mid-job leaves nothing that looks complete, and
rerunning the documented command (docs/cluster.md, "After a crash") finishes it.

Each test runs the tiny config with the killed job made long enough (hundreds of training
steps, thousands of examples to dump; seconds of work here) and kills it as soon as its log says
the work has begun, so the kill lands inside the training loop or the dump, not in the job's
start-up, however fast or slow the machine. A job that finished before the kill fails the test.
The jobs are no longer than that because the rerun does all of the killed job's work again.
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

LONG_STEP = 600  # ~15 s of training on a busy 2-core machine
LONG_SPLIT = 8000  # eval_id examples: ~8 s of dumping there
TARGET = f"results/runs/tiny/checkpoints/step-{LONG_STEP}"
KILL_WAIT = 600  # s until the watched job must have begun its work
# The lines the jobs log when their work begins (inforidge.models.training, inforidge.activations.dump).
TRAINING_BEGUN = f"from step 0 to {LONG_STEP}"
DUMP_BEGUN = f"dumping {LONG_SPLIT} examples"


def start_and_kill_when(repo: Path, work: Path, config: Path, log: Path, begun: str, target: str) -> None:
    """Start snakemake in its own process group; SIGKILL the whole group once ``log`` holds ``begun``."""
    proc = subprocess.Popen(
        command(repo, work, "--cores", "2", "--rerun-incomplete", target, config=config), cwd=repo, env=env(),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    try:
        deadline = time.monotonic() + KILL_WAIT
        while not (log.is_file() and begun in log.read_text(errors="replace")):
            assert proc.poll() is None, f"snakemake ended ({proc.returncode}) before {log} said {begun!r}"
            assert time.monotonic() < deadline, f"{log} did not say {begun!r} within {KILL_WAIT}s"
            time.sleep(0.2)
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
    return write_config(tmp_path / "long_dump.yaml", **{"tasks.arithmetic.sizes.eval_id": LONG_SPLIT,
                                                       "activations.batch_size": 16})


def test_sigkill_during_training_leaves_nothing_complete_and_rerun_finishes(repo, tmp_path, long_training):
    work = tmp_path / "work"
    work.mkdir()
    # Kill while the SECOND segment trains (it resumes from checkpoint 0).
    log = work / "logs" / "train" / "tiny" / f"step-{LONG_STEP}.log"
    start_and_kill_when(repo, work, long_training, log, TRAINING_BEGUN, TARGET)

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
    log = work / "logs" / "activations" / "tiny" / "step-0.log"
    start_and_kill_when(repo, work, long_dump, log, DUMP_BEGUN, target)
    manifest = work / target
    assert not manifest.exists(), "a killed activations job must not leave its completion marker"
    snakemake(repo, work, "--unlock", "--cores", "2", "--rerun-incomplete", target, config=long_dump)
    snakemake(repo, work, "--cores", "2", "--rerun-incomplete", target, config=long_dump)
    assert manifest.exists()
