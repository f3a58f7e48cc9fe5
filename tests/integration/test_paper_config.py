"""configs/paper.yaml, its offline mirror and configs/replication.yaml validate and build their DAGs offline."""

import subprocess
import sys
from pathlib import Path

import pytest

from inforidge.config import load_config
from inforidge.fixtures.datasets import build_datasets

SNAKEMAKE = Path(sys.executable).with_name("snakemake")


@pytest.mark.parametrize("name", ["paper", "paper-offline", "replication"])
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


@pytest.mark.parametrize("name", ["paper", "paper-offline", "replication"])
def test_dry_run_builds_the_dag_without_network(repo_root, tmp_path, name, request):
    if name == "paper-offline":  # its local dataset files are read and its model paths checked at plan time
        build_datasets(tmp_path / ".cache" / "inforidge-fixtures" / "data")
        models = request.getfixturevalue("family_fixtures")["gpt2"].parent
        (tmp_path / ".cache" / "inforidge-fixtures" / "models").symlink_to(models, target_is_directory=True)
    result = subprocess.run(
        [str(SNAKEMAKE), "-n", "--quiet", "rules", "--cores", "1", "--directory", str(tmp_path),
         "--snakefile", str(repo_root / "Snakefile"), "--configfile", str(repo_root / "configs" / f"{name}.yaml")],
        capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    assert "train" in result.stdout and "data" in result.stdout


def test_offline_mirror_keeps_the_papers_settings(repo_root):
    """configs/paper-offline.yaml differs from paper.yaml only in sizes, steps, paths and resources."""
    paper = load_config(repo_root / "configs" / "paper.yaml")
    mirror = load_config(repo_root / "configs" / "paper-offline.yaml")
    assert set(mirror.runs) <= set(paper.runs)
    for name, run in mirror.runs.items():
        real, ours = paper.runs[name].training, run.training
        assert run.task == paper.runs[name].task, name
        for key in ("dtype", "trust_remote_code", "attn_implementation"):
            assert getattr(run.model, key) == getattr(paper.runs[name].model, key), (name, key)
        assert (ours.lora is None) == (real.lora is None), name
        assert (ours.grad_accum > 1) == (real.grad_accum > 1), name
        assert ours.checkpoints is None and real.checkpoints is None, name  # both use checkpoint_count
        for key in ("lr", "weight_decay", "max_grad_norm", "precision", "gradient_checkpointing", "schedule",
                    "distributed"):
            assert getattr(ours, key) == getattr(real, key), (name, key)
    for name, task in mirror.tasks.items():
        real = paper.tasks[name]
        for key in ("kind", "alphabet", "noise_range", "answer_map", "max_id_hops", "ood_fraction", "columns"):
            assert getattr(task, key) == getattr(real, key), (name, key)
        assert (task.dataset is None) == (real.dataset is None) or task.dataset.startswith(".cache/"), name
    assert mirror.activations.sites == paper.activations.sites
    for key in ("kernels", "sigma", "alpha", "normalize", "base", "increments"):
        assert getattr(mirror.mi, key) == getattr(paper.mi, key), key
    assert mirror.capacity == paper.capacity
    for key in ("enabled", "task", "checkpoints", "splits", "sequence_kernel"):
        assert getattr(mirror.multitoken, key) == getattr(paper.multitoken, key), key
