"""inforidge fetch: which sources are hub ones, the offline job environment, clear errors without network."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from inforidge.config import ClusterSettings, load_config, validate_config
from inforidge.workflow.fetch import FetchError, hub_datasets, hub_models, is_local, job_environment, missing_models

REPO = Path(__file__).resolve().parents[2]


def config_with(model: str, hf_home: Path | None = None) -> dict:
    return {
        "tasks": {"t": {"kind": "arithmetic"}},
        "runs": {"r": {"task": "t", "model": {"source": "pretrained", "name_or_path": model}}},
        "cluster": {"hf_home": str(hf_home) if hf_home else None},
    }


def test_paper_grid_sources():
    cfg = load_config(REPO / "configs" / "paper.yaml")
    assert [name for name, _ in hub_models(cfg)] == ["Qwen/Qwen2.5-0.5B", "gpt2", "gpt2-medium", "meta-llama/Llama-3.1-8B"]
    datasets = {name: (config, revision) for name, config, revision in hub_datasets(cfg)}
    assert datasets["CLUTRR/v1"] == ("gen_train234_test2to10", "refs/convert/parquet")  # as the data rule loads it
    assert datasets["abisee/cnn_dailymail"][0] == "3.0.0"
    assert set(datasets) == {"CLUTRR/v1", "abisee/cnn_dailymail", "yangdong/ecqa"}


def test_model_revisions_are_fetched_and_checked():
    cfg = validate_config({**config_with("org/tiny"), "runs": {"r": {"task": "t", "model": {
        "source": "pretrained", "name_or_path": "org/tiny", "revision": "v1.0"}}}})
    assert hub_models(cfg) == [("org/tiny", "v1.0")]


def test_local_paths_are_not_fetched(tmp_path):
    (tmp_path / "model").mkdir()
    assert is_local(str(tmp_path / "model"))
    assert hub_models(validate_config(config_with(str(tmp_path / "model")))) == []
    assert hub_models(load_config(REPO / "configs" / "test.yaml")) == []  # scratch models
    with pytest.raises(FetchError, match="model path ./no-such-model does not exist"):
        is_local("./no-such-model")


def test_job_environment():
    settings = ClusterSettings(hf_home="/shared/hf")
    assert job_environment(settings, remote=True) == {
        "HF_HOME": "/shared/hf", "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1",
    }
    assert job_environment(settings, remote=False) == {"HF_HOME": "/shared/hf"}  # the submit host stays online
    assert job_environment(ClusterSettings(offline=False), remote=True) == {}


def test_missing_models_reads_the_hub_cache_layout(tmp_path):
    cfg = validate_config(config_with("org/tiny", tmp_path / "hf"))
    assert missing_models(cfg) == ["org/tiny"]
    repo = tmp_path / "hf" / "hub" / "models--org--tiny"  # what snapshot_download leaves
    (repo / "snapshots" / "abc123").mkdir(parents=True)
    (repo / "snapshots" / "abc123" / "config.json").write_text("{}")
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text("abc123")
    assert missing_models(cfg) == []
    pinned = validate_config({**config_with("org/tiny", tmp_path / "hf"), "runs": {"r": {"task": "t", "model": {
        "source": "pretrained", "name_or_path": "org/tiny", "revision": "v2"}}}})
    assert missing_models(pinned) == ["org/tiny"]  # another revision is not in the cache


def run_cli(*args: str, **env: str) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("HF_")}
    return subprocess.run([sys.executable, "-m", "inforidge.cli", *args], capture_output=True, text=True,
                          env={**environ, **env}, timeout=300)


def test_fetch_without_network_is_one_clear_error(tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(config_with("org/tiny", tmp_path / "hf")))
    # Nothing listens on port 9: the hub is unreachable, as on a compute node.
    result = run_cli("fetch", "--configfile", str(config), HF_ENDPOINT="http://127.0.0.1:9")
    assert result.returncode == 1, result
    assert "Traceback" not in result.stderr
    # One connection attempt, then our error (no huggingface_hub retries with back-off first).
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("inforidge: error: could not fetch model 'org/tiny' from the Hugging Face hub"), last
    assert "(unreachable: cannot connect to 127.0.0.1:9" in last, last
    assert last.endswith("run `inforidge fetch` where the Hugging Face hub is reachable"), last


def test_fetch_of_local_sources_is_a_no_op(tmp_path):
    (tmp_path / "model").mkdir()
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(config_with(str(tmp_path / "model"))))
    result = run_cli("fetch", "--configfile", str(config), HF_ENDPOINT="http://127.0.0.1:9")
    assert result.returncode == 0 and result.stdout == "", result
    listing = run_cli("fetch", "--list", "--configfile", str(REPO / "configs" / "paper.yaml"))
    assert "model    meta-llama/Llama-3.1-8B" in listing.stdout and "dataset  yangdong/ecqa" in listing.stdout
