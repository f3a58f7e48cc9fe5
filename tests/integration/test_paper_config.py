"""configs/paper.yaml and configs/replication.yaml validate and build their DAGs offline."""

import subprocess
import sys
from pathlib import Path

import pytest

from inforidge.config import load_config

SNAKEMAKE = Path(sys.executable).with_name("snakemake")


@pytest.mark.parametrize("name", ["paper", "replication"])
def test_config_validates(repo_root, name):
    load_config(repo_root / "configs" / f"{name}.yaml")  # includes: FSDP runs declare their GPUs


def test_paper_grid_covers_models_and_tasks(repo_root):
    cfg = load_config(repo_root / "configs" / "paper.yaml")
    models = {run.model.name_or_path for run in cfg.runs.values()}
    assert models == {"gpt2", "gpt2-medium", "Qwen/Qwen2.5-0.5B", "meta-llama/Llama-3.1-8B"}
    assert {cfg.tasks[run.task].kind for run in cfg.runs.values()} == {"arithmetic", "clutrr", "ecqa"}
    assert len(cfg.runs) == 12
    for name, run in cfg.runs.items():
        assert (run.training.lora is not None) == name.startswith("llama"), name
        assert run.resources.train.gpu >= 1, name


@pytest.mark.parametrize("name", ["paper", "replication"])
def test_dry_run_builds_the_dag_without_network(repo_root, tmp_path, name):
    result = subprocess.run(
        [str(SNAKEMAKE), "-n", "--quiet", "rules", "--cores", "1", "--directory", str(tmp_path),
         "--snakefile", str(repo_root / "Snakefile"), "--configfile", str(repo_root / "configs" / f"{name}.yaml")],
        capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "train" in result.stdout and "data" in result.stdout
