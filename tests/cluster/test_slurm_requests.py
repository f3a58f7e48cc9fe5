"""What SLURM receives: the submitted jobs' requests read back with ``scontrol`` against the config.

The tiny workflow runs through the real executor on the test cluster of
tests/cluster/start_slurm.sh, which advertises 8 CPUs and 2 fake GPUs (GRES), with per-stage
resources that differ from each other and a 20-minute ``cluster.max_job_runtime``: the
training chain (3 segments of 5 min) must come as two jobs (10 + 5 min), each asking for the
threads, memory and GPUs the run declares, the way ``cluster.gpu_request`` says.
"""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from tests.workflow_runs import SLURM_POLLING, copy_repo, snakemake, write_config

pytestmark = [
    pytest.mark.cluster,
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("sinfo") is None, reason="SLURM not installed (no `sinfo`); start it with tests/cluster/start_slurm.sh"),
]

RESOURCES = {  # distinct per stage, so a request that comes from the wrong stage shows
    "train": {"threads": 3, "mem_mb": 1500, "runtime": 5, "gpu": 1},
    "activations": {"threads": 2, "mem_mb": 1200, "runtime": 5, "gpu": 1},
    "mi": {"threads": 1, "mem_mb": 1100, "runtime": 4, "gpu": 0},
    "probes": {"threads": 2, "mem_mb": 1300, "runtime": 6, "gpu": 1},
}
MAX_JOB_RUNTIME = 20
TARGETS = (
    "results/runs/tiny/checkpoints/step-12",
    # Analysis of step 0 runs while the second training pack does (both wait for the first).
    "results/runs/tiny/mi/step-0/eval_id.parquet",
    "results/runs/tiny/probes/step-0/early_exit.parquet",
)
# One group job per line: (cpus-per-task, memory MB, minutes, GPUs). Train packs hold
# max_job_runtime // (2 x 5 min) = 2 segments; members run in series, so a job asks for the
# largest member and the summed runtime.
EXPECTED = {
    "train_tiny_0": (3, 1500, 10, 1),  # steps 0 and 4
    "train_tiny_1": (3, 1500, 5, 1),  # step 12
    "analysis_tiny_0": (2, 1300, 5 + 4 + 6, 1),  # activations + MI of eval_id, early exit
}


def scontrol_job(jobid: str) -> dict[str, str]:
    out = subprocess.run(["scontrol", "-o", "show", "job", jobid], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, f"scontrol show job {jobid}: {out.stderr}"
    return dict(field.split("=", 1) for field in out.stdout.split() if "=" in field)


def minutes(limit: str) -> int:
    """SLURM's [days-]hh:mm:ss as minutes."""
    days, _, clock = limit.rpartition("-")
    h, m, _s = (int(x) for x in clock.split(":"))
    return int(days or 0) * 1440 + h * 60 + m


def requested(job: dict[str, str]) -> tuple[int, int, int, int]:
    gpus = re.search(r"gpu[^,]*?:(\d+)", job.get("TresPerNode", "") + job.get("TresPerJob", ""))
    return (int(job["CPUs/Task"]), int(job["MinMemoryNode"].rstrip("M")), minutes(job["TimeLimit"]),
            int(gpus.group(1)) if gpus else 0)


def group_of(log_dir: str) -> str:
    """The group id in a plugin log directory name, group_<group id>_<rules>."""
    return next((group for group in EXPECTED if log_dir == group or log_dir.startswith(group + "_")), log_dir)


def run_through_slurm(tmp_path_factory, gpu_request: str, targets=TARGETS, data_from=None):
    """(workdir, {group id: scontrol fields}, output) of a run; ``data_from``: a workdir whose data to reuse."""
    base = tmp_path_factory.mktemp(f"requests_{gpu_request}")
    base.chmod(0o755)
    # Reusing a run's repository copy keeps the data jobs' inputs identical, so its splits count.
    # The copy has the profiles a clone has: `--profile slurm` from its root, profiles/default on top
    # (train asks for 3 threads, more than this host has: a `cores` cap there would show).
    repo = copy_repo(base / "repo", profiles=True) if data_from is None else data_from.parent / "repo"
    work = base / "work"
    work.mkdir()
    if data_from is not None:  # the task splits, with their mtimes and Snakemake's records of them
        shutil.copytree(data_from / "results" / "data", work / "results" / "data")
        shutil.copytree(data_from / ".snakemake" / "metadata", work / ".snakemake" / "metadata")
    config = write_config(
        base / "config.yaml",
        **{f"runs.tiny.resources.{stage}": res for stage, res in RESOURCES.items()},
        cluster={"max_job_runtime": MAX_JOB_RUNTIME, "gpu_request": gpu_request, "hf_home": str(base / "hf")},
    )
    result = snakemake(
        repo, work, "--profile", "slurm",
        *SLURM_POLLING, "--latency-wait", "10", "--retries", "0",
        *targets, config=config, check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"SLURM run failed:\n{output[-8000:]}"
    # "... submitted with SLURM jobid N (log: .../slurm_logs/group_<group>/...)"
    submitted = re.findall(r"submitted with SLURM jobid (\d+) \(log: \S*/slurm_logs/group_([^/\s]+)/", output)
    return work, {group_of(group): scontrol_job(jobid) for jobid, group in submitted}, output


@pytest.fixture(scope="module")
def gres_run(tmp_path_factory):
    return run_through_slurm(tmp_path_factory, "gres")


def test_requests_match_the_config(gres_run):
    _, jobs, output = gres_run
    assert set(jobs) == set(EXPECTED), (sorted(jobs), output[-4000:])
    got = {group: requested(job) for group, job in jobs.items()}
    assert got == EXPECTED


def test_no_job_exceeds_the_maximum_runtime(gres_run):
    _, jobs, _ = gres_run
    assert max(minutes(job["TimeLimit"]) for job in jobs.values()) <= MAX_JOB_RUNTIME


def test_gres_requests_name_the_gpu_gres(gres_run):
    _, jobs, _ = gres_run
    for group, job in jobs.items():
        assert re.search(r"gres[:/]gpu:1", job.get("TresPerNode", "")), (group, job.get("TresPerNode"), job.get("TresPerJob"))


def test_compute_jobs_run_offline_from_the_configured_cache(gres_run):
    work, _, _ = gres_run
    for log in ("logs/train/tiny/step-0.log", "logs/mi/tiny/step-0/eval_id.log"):
        text = (work / log).read_text()
        assert "'HF_HUB_OFFLINE': '1'" in text and "'HF_DATASETS_OFFLINE': '1'" in text, text[:2000]
        assert f"'HF_HOME': '{work.parent / 'hf'}'" in text, text[:2000]


def test_gpus_requests(tmp_path_factory, gres_run):
    """gpu_request: gpus -> sbatch --gpus=N (a per-job TRES); one training segment suffices."""
    _, jobs, output = run_through_slurm(tmp_path_factory, "gpus", targets=("results/runs/tiny/checkpoints/step-0",),
                                        data_from=gres_run[0])
    assert set(jobs) == {"train_tiny_0"}, (sorted(jobs), output[-4000:])
    job = jobs["train_tiny_0"]
    assert re.search(r"gres[:/]gpu:1", job.get("TresPerJob", "")), job
    assert requested(job) == (3, 1500, 5, 1)
