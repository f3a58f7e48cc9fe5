"""A dump and its MI job cover every split of one (run, checkpoint), one rule per split list.

configs/test.yaml's arithmetic run has eval_id and eval_ood; a text continuation task without an
OOD column has eval_id only. Side by side they get the rules activations / mi and activations_2 / mi_2
(inforidge.workflow.splitsets), and the second pair runs for real on its one split.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from tests.workflow_runs import copy_repo, scheduled, snakemake, write_config

pytestmark = [pytest.mark.integration]


def plain_text_config(tmp_path: Path) -> Path:
    data = tmp_path / "plain.jsonl"
    data.write_text("".join(json.dumps({"q": f"count on from {i} :", "a": f"{i + 1} {i + 2} {i + 3}"}) + "\n" for i in range(120)))
    return write_config(tmp_path / "config.yaml", **{
        "tasks.plain": {"kind": "text", "dataset": str(data), "columns": {"prompt": "q", "target": "a"},
                        "continuation": {"horizon": 2}, "sizes": {"train": 32, "eval_id": 64}},
        "runs.plain": {"task": "plain", "model": {"source": "scratch", "n_layer": 1, "n_embd": 16, "n_head": 2},
                       "training": {"steps": 4, "checkpoints": [0, 4], "batch_size": 8, "warmup_steps": 1,
                                    "eval_examples": 16}},
    })


def test_runs_with_different_eval_splits_get_one_dump_and_one_mi_job_per_checkpoint(tmp_path):
    repo, work = copy_repo(tmp_path / "repo"), tmp_path / "work"
    work.mkdir()
    config = plain_text_config(tmp_path)
    jobs = scheduled(repo, work, config=config)
    # tiny: checkpoints 0, 4, 12 over eval_id + eval_ood; plain: 0, 4 over eval_id.
    assert {rule: jobs.get(rule) for rule in ("activations", "mi", "activations_2", "mi_2")} == {
        "activations": 3, "mi": 3, "activations_2": 2, "mi_2": 2}, jobs

    target = "results/runs/plain/mi/step-0/eval_id.parquet"
    snakemake(repo, work, "--cores", "1", target, config=config)
    rows = pd.read_parquet(work / target)
    assert set(rows["run"]) == {"plain"} and set(rows["split"]) == {"id"} and set(rows["data_split"]) == {"eval_id"}
    assert not (work / "results/runs/plain/activations/step-0/eval_ood").exists()
    assert (work / "logs/activations/plain/step-0.log").is_file() and (work / "logs/mi/plain/step-0.log").is_file()
