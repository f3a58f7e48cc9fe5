"""Packing training chains into cluster jobs under cluster.max_job_runtime, and GPU request forms."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from inforidge.config import ClusterSettings, ConfigError, validate_config
from inforidge.workflow.clusterplan import (
    RETRY_FACTOR,
    check_runtimes,
    gpu_resources,
    runtime_limit,
    segments_per_job,
    train_job_index,
)

LLAMA_STEPS = [0, 1, 3, 10, 32, 100, 316, 1000]  # 8 segments of 240 min: 32 h in one job before


def test_llama_chain_is_split_into_jobs_under_the_limit():
    jobs = [train_job_index(LLAMA_STEPS, s, 240, 1440) for s in LLAMA_STEPS]
    assert jobs == [0, 0, 0, 1, 1, 1, 2, 2]  # 3 x 240 = 720 min, doubled on retry: 1440


@given(runtime=st.integers(1, 3000), limit=st.integers(1, 5000), n_steps=st.integers(1, 40))
def test_every_pack_fits_even_on_retry(runtime, limit, n_steps):
    if runtime > limit:
        return  # a plan-time error (check_runtimes)
    steps = list(range(n_steps))
    packs: dict[int, int] = {}
    for step in steps:
        index = train_job_index(steps, step, runtime, limit)
        packs[index] = packs.get(index, 0) + 1
    assert sorted(packs) == list(range(len(packs)))  # consecutive segments, no gaps
    cap = runtime_limit(runtime, limit, packed=True)
    for members in packs.values():
        assert members * runtime <= limit  # first attempt
        assert members * min(runtime * RETRY_FACTOR, cap) <= limit  # the retry, scaled then capped
    assert cap >= runtime  # a cap never cuts the first attempt


def test_segments_per_job():
    assert segments_per_job(60, 1440) == 12
    assert segments_per_job(720, 1440) == 1
    assert segments_per_job(1000, 1440) == 1  # over half the limit: a job of its own, retry capped
    assert runtime_limit(1000, 1440, packed=True) == 1440
    assert runtime_limit(30, 1440, packed=False) == 1440


def paper_like(runtime: int, limit: int) -> dict:
    return {
        "tasks": {"t": {"kind": "arithmetic"}},
        "runs": {"big-run": {"task": "t", "resources": {"train": {"runtime": runtime}}}},
        "cluster": {"max_job_runtime": limit},
    }


def test_a_segment_over_the_limit_is_an_error_naming_the_run():
    with pytest.raises(ConfigError, match=r"runs\.big-run\.resources\.train\.runtime: one job needs 2000 min.*1440"):
        check_runtimes(validate_config(paper_like(2000, 1440)))
    check_runtimes(validate_config(paper_like(1440, 1440)))


def test_max_job_runtime_must_be_positive():
    with pytest.raises(ConfigError, match="cluster.max_job_runtime"):
        validate_config(paper_like(10, 0))


@pytest.mark.parametrize(
    ("settings", "gpus", "allocation", "expected"),
    [
        (ClusterSettings(), 1, 1, {"gpu": 1}),
        (ClusterSettings(), 0, 1, {"gpu": 0}),
        (ClusterSettings(gpu_model="a100"), 2, 2, {"gpu": 2, "gpu_model": "a100"}),
        (ClusterSettings(gpu_model="a100"), 0, 0, {"gpu": 0}),
        (ClusterSettings(gpu_request="gres"), 1, 1, {"gpu": 0, "gres": "gpu:1"}),
        # a CPU member of a GPU group job carries the group's GRES (string resources must agree)
        (ClusterSettings(gpu_request="gres"), 0, 1, {"gpu": 0, "gres": "gpu:1"}),
        (ClusterSettings(gpu_request="gres", gpu_model="h100"), 4, 4, {"gpu": 0, "gres": "gpu:h100:4"}),
        (ClusterSettings(gpu_request="gres"), 0, 0, {"gpu": 0}),
    ],
)
def test_gpu_resources(settings, gpus, allocation, expected):
    assert gpu_resources(gpus, allocation, settings) == expected
