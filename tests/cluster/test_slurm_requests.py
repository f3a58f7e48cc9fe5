"""What SLURM receives: the submitted jobs' requests read back with ``scontrol`` against the config.

The tiny workflow runs through the real executor on the test cluster of
tests/cluster/start_slurm.sh, which advertises 8 CPUs and 2 fake GPUs (GRES), with per-stage
resources that differ from each other and a 20-minute ``cluster.max_job_runtime``
(``tests.workflow_runs.SLURM_RESOURCES``; the same run test_slurm_workflow.py compares with a
local one): the training chain (3 segments of 5 min) must come as two jobs (10 + 5 min), and
each job must ask for the threads, memory and GPUs the run declares, the way
``cluster.gpu_request`` says.
"""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from tests.workflow_runs import SLURM_MAX_JOB_RUNTIME, run_slurm, slurm_config, slurm_run

pytestmark = [
    pytest.mark.cluster,
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("sinfo") is None, reason="SLURM not installed (no `sinfo`); start it with tests/cluster/start_slurm.sh"),
]

# One group job per line: (cpus-per-task, memory MB, minutes, GPUs), from SLURM_RESOURCES
# (train 3 threads, 1500 MB, 5 min; activations 2, 1200, 3; MI 1, 1100, 2; probes 2, 1300, 6;
# GPUs for all but MI). Train packs hold max_job_runtime // (2 x 5 min) = 2 segments; members
# run in series, so a job asks for the largest member and the summed runtime. An analysis job
# holds its checkpoint's dump and MI job (each over eval_id and eval_ood), at step 0 the job of the
# probes at every checkpoint too (one probe job's request), and GPUs if any member needs them. A read-out job (step 0 only: SLURM_TARGETS) holds the linear
# probes of the two dumps, each with the MI stage's resources and one thread, and MI's own GPUs
# (none): the group holds read-outs only (common.smk analysis_group, allocation_gpus).
EXPECTED = {
    "train_tiny_0": (3, 1500, 10, 1),  # steps 0 and 4
    "train_tiny_1": (3, 1500, 5, 1),  # step 12
    "analysis_tiny_0": (2, 1300, 3 + 2 + 6, 1),
    "analysis_tiny_4": (2, 1200, 3 + 2, 1),
    "analysis_tiny_12": (2, 1200, 3 + 2, 1),
    "readouts_tiny_0": (1, 1100, 2 * 2, 0),
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


def submitted_jobs(output: str) -> dict[str, dict[str, str]]:
    """{group id: scontrol fields} of the group jobs a run's output says it submitted."""
    # "... submitted with SLURM jobid N (log: .../slurm_logs/group_<group>/...)"
    submitted = re.findall(r"submitted with SLURM jobid (\d+) \(log: \S*/slurm_logs/group_([^/\s]+)/", output)
    return {group_of(group): scontrol_job(jobid) for jobid, group in submitted}


@pytest.fixture(scope="module")
def gres_run(tmp_path_factory):
    """(workdir, {group id: scontrol fields}, output) of the shared SLURM run (gpu_request: gres)."""
    work, output = slurm_run(tmp_path_factory)
    return work, submitted_jobs(output), output


def test_requests_match_the_config(gres_run):
    _, jobs, output = gres_run
    assert set(jobs) == set(EXPECTED), (sorted(jobs), output[-4000:])
    got = {group: requested(job) for group, job in jobs.items()}
    assert got == EXPECTED


def test_no_job_exceeds_the_maximum_runtime(gres_run):
    _, jobs, _ = gres_run
    assert max(minutes(job["TimeLimit"]) for job in jobs.values()) <= SLURM_MAX_JOB_RUNTIME


def test_gres_requests_name_the_gpu_gres(gres_run):
    """A group job with GPUs asks for them as ``--gres=gpu:1``; one that EXPECTED gives none asks for no GPU."""
    _, jobs, _ = gres_run
    for group, job in jobs.items():
        tres = (job.get("TresPerNode", ""), job.get("TresPerJob", ""))
        if EXPECTED[group][3]:
            assert re.search(r"gres[:/]gpu:1", tres[0]), (group, tres)
        else:
            assert not any("gpu" in field for field in tres), (group, tres)


def test_compute_jobs_run_offline_from_the_configured_cache(gres_run):
    work, _, _ = gres_run
    for log in ("logs/train/tiny/step-0.log", "logs/mi/tiny/step-0.log"):
        text = (work / log).read_text()
        assert "'HF_HUB_OFFLINE': '1'" in text and "'HF_DATASETS_OFFLINE': '1'" in text, text[:2000]
        assert f"'HF_HOME': '{work.parent / 'hf'}'" in text, text[:2000]


def test_gpus_requests(tmp_path_factory, gres_run):
    """gpu_request: gpus -> sbatch --gpus=N (a per-job TRES); one training segment suffices."""
    data_from = gres_run[0]
    base = tmp_path_factory.mktemp("requests_gpus")
    base.chmod(0o755)
    work = base / "work"
    # The shared run's repository copy and task splits (with their mtimes and Snakemake's records
    # of them) keep the data jobs' inputs identical, so only the training segment runs.
    shutil.copytree(data_from / "results" / "data", work / "results" / "data")
    shutil.copytree(data_from / ".snakemake" / "metadata", work / ".snakemake" / "metadata")
    output = run_slurm(data_from.parent / "repo", work, slurm_config(base, "gpus"),
                       ("results/runs/tiny/checkpoints/step-0",))
    jobs = submitted_jobs(output)
    assert set(jobs) == {"train_tiny_0"}, (sorted(jobs), output[-4000:])
    job = jobs["train_tiny_0"]
    assert re.search(r"gres[:/]gpu:1", job.get("TresPerJob", "")), job
    assert requested(job) == (3, 1500, 5, 1)
