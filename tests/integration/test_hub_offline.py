"""Without the hub and with an empty cache, a run fails fast and says what to fetch (issue 22).

A real Snakemake run of a tiny grid whose model (a hub id) and dataset (CLUTRR, the hub's) are
in no cache: HF_HOME is an empty directory and HF_HUB_OFFLINE=1, so nothing touches the
network. The jobs that need them fail at once with a line naming what is missing, the
independent jobs finish (--keep-going), and the end-of-run summary lists per run what the cache
lacks and the ``inforidge fetch`` command that fills it. Also: a model given as a local path
that does not exist stops the dry run, naming the key.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest
import yaml

from tests.workflow_runs import REPO, TEST_CONFIG, command, env

pytestmark = pytest.mark.integration

HUB_MODEL = "EleutherAI/pythia-14m"


def grid(path: Path, runs: dict) -> Path:
    data = yaml.safe_load(TEST_CONFIG.read_text())
    data["tasks"]["clutrr"] = {"kind": "clutrr"}  # its default dataset is a hub id
    data["runs"] = runs
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def run(workdir: Path, config: Path, *args: str, timeout: int, **extra_env: str) -> subprocess.CompletedProcess:
    return subprocess.run(command(REPO, workdir, *args, config=config), capture_output=True, text=True,
                          env={**env(), **extra_env}, timeout=timeout, cwd=REPO)


def test_offline_grid_fails_fast_and_names_what_to_fetch(tmp_path):
    config = grid(tmp_path / "offline.yaml", {
        "hubmodel": {"task": "arithmetic", "model": {"source": "pretrained", "name_or_path": HUB_MODEL}},
        "hubdata": {"task": "clutrr", "model": {"source": "pretrained", "name_or_path": HUB_MODEL}},
    })
    (tmp_path / "hf").mkdir()
    start = time.perf_counter()
    result = run(tmp_path / "work", config, "--cores", "2", "--keep-going", timeout=300,
                 HF_HOME=str(tmp_path / "hf"), HF_HUB_OFFLINE="1")
    elapsed = time.perf_counter() - start
    print(f"offline grid: {elapsed:.0f} s wall")  # shown with pytest -s
    out = result.stderr
    assert result.returncode != 0, out[-4000:]
    assert elapsed < 60, f"took {elapsed:.0f} s:\n{out[-4000:]}"
    summary = out[out.index("Not in the Hugging Face cache, and the hub cannot be reached:"):]
    assert f"run hubmodel: model '{HUB_MODEL}'" in summary or f"run hubmodel: tokenizer of model '{HUB_MODEL}'" \
        in summary, summary
    assert "task clutrr: dataset 'CLUTRR/v1" in summary, summary
    assert f"inforidge fetch --configfile {config}" in summary, summary
    # Each failed job's own line says why (no "unexpected failure"), and the independent
    # data jobs of the arithmetic task finished.
    failed = [line for line in out.splitlines() if line.startswith("FAILED ")]
    assert failed and all("is not in the Hugging Face cache" in line for line in failed), failed
    assert "HF_HUB_OFFLINE is set" in failed[0]
    assert (tmp_path / "work" / "results" / "data" / "arithmetic" / "eval_id.parquet").is_file()


def test_missing_local_model_path_stops_the_dry_run(tmp_path):
    config = grid(tmp_path / "local.yaml", {
        "local": {"task": "arithmetic", "model": {"source": "pretrained", "name_or_path": "/nonexistent/model"}},
    })
    result = run(tmp_path / "work", config, "-n", timeout=300)
    out = result.stdout + result.stderr
    assert result.returncode != 0
    assert "invalid config: runs.local.model.name_or_path: no such directory '/nonexistent/model'" in out, out[-3000:]
    assert "Traceback" not in out
