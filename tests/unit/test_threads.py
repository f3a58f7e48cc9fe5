"""Thread policy: small models single-threaded, large ones what the job declares, never more."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from inforidge.config import ModelConfig
from inforidge.core.threads import PARALLEL_FROM_WIDTH, choose_threads, job_width, scratch_width


@pytest.mark.parametrize("declared", [1, 2, 8])
def test_small_models_run_one_thread(declared: int) -> None:
    assert choose_threads(declared, 64) == 1
    assert choose_threads(declared, PARALLEL_FROM_WIDTH - 1) == 1


@pytest.mark.parametrize("declared", [1, 2, 8])
def test_large_or_unknown_work_gets_the_declared_threads(declared: int) -> None:
    assert choose_threads(declared, PARALLEL_FROM_WIDTH) == declared
    assert choose_threads(declared, 4096) == declared
    assert choose_threads(declared, None) == declared


@pytest.mark.parametrize("width", [None, 32, 768])
@pytest.mark.parametrize("declared", [1, 3, 16])
def test_never_more_than_declared(declared: int, width: int | None) -> None:
    assert 1 <= choose_threads(declared, width) <= declared


def test_no_threads_is_an_error() -> None:
    with pytest.raises(ValueError, match="threads"):
        choose_threads(0, 64)


def test_width_from_checkpoint_config(tmp_path) -> None:
    gpt2, llama = tmp_path / "gpt2", tmp_path / "llama"
    gpt2.mkdir()
    llama.mkdir()
    (gpt2 / "config.json").write_text(json.dumps({"n_embd": 768}))
    (llama / "config.json").write_text(json.dumps({"hidden_size": 2048}))
    assert job_width({"checkpoint": str(gpt2)}, {}) == 768
    assert job_width({"previous": str(llama)}, {"run": {"model": {"n_embd": 64}}}) == 2048
    assert job_width({"checkpoint": str(tmp_path / "missing")}, {}) is None


def test_width_from_run_settings() -> None:
    assert job_width({}, {"run": {"model": {"source": "scratch", "n_embd": 64}}}) == 64
    assert job_width({}, {"run": {"model": {"source": "pretrained", "name_or_path": "gpt2"}}}) is None
    assert job_width({}, {"mi": {"n_samples": 256}}) is None


def test_apply_threads_caps_torch_and_blas() -> None:
    code = (
        "import numpy, torch; from threadpoolctl import threadpool_info; from inforidge.core.threads import apply_threads;"
        "apply_threads(1); import os;"
        "print(torch.get_num_threads(), max(p['num_threads'] for p in threadpool_info()), os.environ['OMP_NUM_THREADS'])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={"PATH": "", "PYTHONPATH": ":".join(sys.path)}).stdout.split()
    assert out == ["1", "1", "1"]


def test_scratch_width_at_plan_time() -> None:
    assert scratch_width(ModelConfig(n_embd=64)) == 64
    assert scratch_width(ModelConfig(source="pretrained", name_or_path="gpt2")) is None
    assert scratch_width({"n_embd": 512}) == 512


def test_policy_module_imports_no_torch() -> None:
    """Rules may call it at plan time, and every job imports it: it must stay light."""
    code = "import sys, inforidge.core.threads, inforidge.workflow.jobs; print('torch' in sys.modules, 'threadpoolctl' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "False"]
