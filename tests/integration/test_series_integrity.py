"""A series whose steps serve identical weights is refused, naming the steps (issue 22).

Set-up: the GPT-2 family fixture saved as a local series ``ckpts/step-{0,5,9}`` where step 5 is
a byte-for-byte copy of step 0 (what EleutherAI/pythia issues 205 and 206 found on the hub).
The step jobs record each step's weight hash; the run's ``series_weights`` job, which every
analysis of a series step waits for, stops the run naming steps 0 and 5. With
``model.series.allow_duplicates: true`` the same series is analysed and step 5 is flagged in the
training table and figure.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pandas as pd
import pytest
import torch
import yaml
from transformers import AutoModelForCausalLM

from tests.workflow_runs import TEST_CONFIG, copy_repo, snakemake

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def write_series(fixture: Path, root: Path) -> None:
    """step-0 and step-9 distinct; step-5 a copy of step-0."""
    model = AutoModelForCausalLM.from_pretrained(fixture)
    shutil.copytree(fixture, root / "step-0")
    with torch.no_grad():
        for param in model.parameters():
            param.add_(0.01)
    shutil.copytree(fixture, root / "step-9")
    model.save_pretrained(root / "step-9")
    shutil.copytree(root / "step-0", root / "step-5")


def write_config(path: Path, allow: bool) -> Path:
    data = yaml.safe_load(TEST_CONFIG.read_text())
    series = {"pattern": "ckpts/step-{step}", **({"allow_duplicates": True} if allow else {})}
    data["runs"] = {"dup": {"task": "arithmetic", "model": {"source": "series", "series": series},
                            "training": {"eval_examples": 32, "batch_size": 32}}}
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_identical_steps_stop_the_run_unless_allowed(tmp_path, family_fixtures):
    repo = copy_repo(tmp_path / "repo")
    work = tmp_path / "work"
    write_series(family_fixtures["gpt2"], work / "ckpts")
    start = time.perf_counter()
    refused = snakemake(repo, work, "--cores", "2", "results/runs/dup/activations/step-9/eval_id/manifest.json",
                        config=write_config(tmp_path / "refuse.yaml", allow=False), check=False)
    out = refused.stdout + refused.stderr
    assert refused.returncode != 0
    assert "runs.dup.model.series: identical weights at steps 0, 5 (sha256 " in out, out[-4000:]
    assert "allow_duplicates: true" in out
    assert not (work / "results" / "runs" / "dup" / "activations").exists()  # nothing analysed
    allowed = snakemake(repo, work, "--cores", "2", "results/tables/training.parquet", "results/figures/training.png",
                        "results/runs/dup/activations/step-5/eval_id/manifest.json",
                        config=write_config(tmp_path / "allow.yaml", allow=True))
    print(f"refused + allowed series runs: {time.perf_counter() - start:.0f} s wall")  # shown with pytest -s
    assert "step 5 has the weights of step 0" in (work / "logs" / "train" / "dup" / "series_weights.log").read_text()
    training = pd.read_parquet(work / "results" / "tables" / "training.parquet")
    by_step = training.groupby("step").first()
    assert by_step.loc[5, "duplicate_of"] == 0 and pd.isna(by_step.loc[0, "duplicate_of"]), by_step
    assert pd.isna(by_step.loc[9, "duplicate_of"])
    assert by_step.loc[5, "weights_sha256"] == by_step.loc[0, "weights_sha256"] != by_step.loc[9, "weights_sha256"]
    assert allowed.returncode == 0
