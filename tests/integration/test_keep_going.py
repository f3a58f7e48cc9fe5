"""A broken run does not stop the grid: with --keep-going every other run finishes, and the
onerror handler names the failed job's run, rule, log and error line (inforidge.workflow.failures).

The broken run's task has answers whose first target tokens collide ("big dog" / "big cat"),
which training refuses at step 0. The grid starts from a copy of the shared reference run of
configs/test.yaml with the tiny run's last-checkpoint analysis removed, so that work is
scheduled beside the failing run and must still complete (and the suite does not train the
tiny run a second time).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.workflow_runs import copy_workdir, reference_run, snakemake, write_config

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ANIMALS = ["big dog", "big cat", "small fox", "tall tree"]


def clashing_dataset(path: Path, rows: int = 200) -> Path:
    """A text task file whose answers share first tokens: step 0 fails on it."""
    with path.open("w") as fh:
        for i in range(rows):
            fh.write(json.dumps({"question": f"what is thing {i % 17} ?", "answer": ANIMALS[i % len(ANIMALS)],
                                 "shifted": i % 2 == 1}) + "\n")
    return path


#: The healthy run's jobs the test deletes from the reference copy: they run beside the failure.
REDO = ("results/runs/tiny/mi/step-12/eval_id.parquet", "results/runs/tiny/mi/step-12/eval_ood.parquet",
        "results/runs/tiny/probes/step-12/early_exit.parquet")


def test_a_failing_run_leaves_the_others_complete_and_is_named(tmp_path, tmp_path_factory):
    repo, reference = reference_run(tmp_path_factory)
    work = copy_workdir(reference, tmp_path / "work")
    for path in REDO:
        (work / path).unlink()
    data = clashing_dataset(tmp_path / "clash.jsonl")
    config = write_config(tmp_path / "config.yaml", **{
        "tasks.clash": {"kind": "text", "dataset": str(data),
                        "columns": {"prompt": "question", "target": "answer", "ood": "shifted"},
                        "sizes": {"train": 16, "eval_id": 64, "eval_ood": 64, "probe_ood": 16}},
        "runs.broken": {"task": "clash", "model": {"source": "scratch", "n_layer": 2, "n_embd": 32, "n_head": 2},
                        "training": {"steps": 12, "checkpoints": [0, 4, 12], "batch_size": 32, "warmup_steps": 2,
                                     "eval_examples": 64}},
    })
    result = snakemake(repo, work, "--cores", "2", "--keep-going", config=config, check=False)
    assert result.returncode != 0
    out = result.stdout + result.stderr
    assert ("FAILED run broken | rule train | log logs/train/broken/step-0.log | answers share a first target token"
            " under this tokenizer: [['big cat', 'big dog']]") in out, out[-5000:]
    assert "inforidge: 1 job(s) failed (run broken)" in out
    # The healthy run's rescheduled jobs ran; every per-run output of it is there; nothing of
    # the broken run looks complete.
    for path in REDO:
        assert (work / path).is_file(), path
    assert "rule mi:" in out and "rule probes_every_checkpoint:" in out, out[-5000:]
    # ... and only those: the copied checkpoints were not trained again (same mtime as the reference's).
    last = "results/runs/tiny/checkpoints/step-12/config.json"
    assert (work / last).stat().st_mtime == (reference / last).stat().st_mtime
    for step in (0, 4, 12):
        assert (work / f"results/runs/tiny/checkpoints/step-{step}/config.json").is_file()
        for split in ("eval_id", "eval_ood"):
            assert (work / f"results/runs/tiny/activations/step-{step}/{split}/manifest.json").is_file()
            assert (work / f"results/runs/tiny/mi/step-{step}/{split}.parquet").is_file()
        assert (work / f"results/runs/tiny/probes/step-{step}/early_exit.parquet").is_file()
    for probe in ("residual_scaling_betas", "residual_scaling_accuracy", "attention"):
        assert (work / f"results/runs/tiny/probes/step-12/{probe}.parquet").is_file()
    assert not (work / "results/runs/broken/checkpoints/step-0").exists()
