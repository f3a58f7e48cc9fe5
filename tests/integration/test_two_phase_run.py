"""A tiny two-phase run through the workflow (training and its table only: the analyses are the
reference run's): phase two starts from phase one's last checkpoint and trains on the narrow task."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml
from safetensors.numpy import load_file

from .conftest import REPO, snakemake

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SIZES = {"train": 256, "eval_id": 48, "eval_ood": 48, "probe_ood": 48}
MODEL = {"source": "scratch", "architecture": "gpt2", "n_layer": 2, "n_embd": 32, "n_head": 2}


def tiny_two_phase(path: Path) -> Path:
    """configs/two-phase.yaml's shape at toy size: broad (every modulus) then narrow (K = 13) from its last step."""
    shape = yaml.safe_load((REPO / "configs" / "two-phase.yaml").read_text())
    config = {
        "device": "cpu",
        "tasks": {name: {**task, "sizes": SIZES} for name, task in shape["tasks"].items()},
        "runs": {
            "broad": {"task": "broad", "model": MODEL,
                      "training": {"steps": 6, "checkpoints": [6], "batch_size": 32, "warmup_steps": 1,
                                   "eval_examples": 48}},
            "narrow": {"task": "narrow", "model": {"source": "run", "run": "broad", "step": 6},
                       "training": {"steps": 4, "checkpoints": [2, 4], "batch_size": 32, "warmup_steps": 1,
                                    "eval_examples": 48}},
        },
    }
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def two_phase(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("two-phase")
    config = tiny_two_phase(work / "two-phase.yaml")
    snakemake(work, "--cores", "1", "results/runs/narrow/checkpoints/step-4", "results/tables/training.parquet",
              config=config)
    return work


def test_phase_two_starts_from_phase_ones_last_weights(two_phase):
    ckpt = two_phase / "results" / "runs"
    start, end = (load_file(ckpt / p / "model.safetensors") for p in ("narrow/checkpoints/step-0",
                                                                       "broad/checkpoints/step-6"))
    assert start.keys() == end.keys() and all((start[k] == end[k]).all() for k in start)
    trained = load_file(ckpt / "narrow/checkpoints/step-4/model.safetensors")
    assert any((trained[k] != start[k]).any() for k in start)


def test_each_phase_trains_on_its_own_moduli_and_is_scored_on_the_same_rows(two_phase):
    data = two_phase / "results" / "data"
    assert pd.read_parquet(data / "broad/train.parquet")["modulus"].nunique() > 10
    assert set(pd.read_parquet(data / "narrow/train.parquet")["modulus"]) == {13}
    for split in ("eval_id", "eval_ood", "probe_ood"):
        broad, narrow = (pd.read_parquet(data / f"{task}/{split}.parquet") for task in ("broad", "narrow"))
        assert broad.equals(narrow), split
    training = pd.read_parquet(two_phase / "results" / "tables" / "training.parquet")
    assert set(zip(training["run"], training["step"])) == {("broad", 0), ("broad", 6), ("narrow", 0), ("narrow", 2),
                                                           ("narrow", 4)}
    assert set(training.loc[training["run"] == "narrow", "model"]) == {"broad@step-6"}
    # Step 0 of phase two is phase one's last model, scored on the same rows: the same accuracy.
    by = training.set_index(["run", "step", "split"])["accuracy"]
    assert by.loc[("narrow", 0, "ood")] == pytest.approx(by.loc[("broad", 6, "ood")])
