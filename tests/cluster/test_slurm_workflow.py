"""The tiny workflow through the real SLURM executor (profiles/slurm), compared with a local run.

Needs the single-node cluster of tests/cluster/start_slurm.sh (CI starts it first). Skipped
only when ``sinfo`` is not installed; a cluster that is installed but down is a failure.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from tests.workflow_runs import REPO, SLURM_POLLING, copy_repo, reference_run, snakemake

pytestmark = [
    pytest.mark.cluster,
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("sinfo") is None, reason="SLURM not installed (no `sinfo`); start it with tests/cluster/start_slurm.sh"),
]

SLURMCTLD_LOG = Path("/var/log/slurm/slurmctld.log")
# Tables whose numbers must not depend on where the jobs ran.
TABLES = ("mi", "training")
# The tables the comparison needs (probes and figures add minutes and nothing SLURM-specific).
TARGETS = ("results/tables/mi.parquet", "results/tables/training.parquet", "results/tables/runs.parquet")


def slurm_is_up() -> None:
    out = subprocess.run(["sinfo", "-h", "-o", "%T"], capture_output=True, text=True, timeout=30)
    states = out.stdout.split()
    assert out.returncode == 0 and any(s in {"idle", "mixed", "allocated", "completing"} for s in states), (
        f"SLURM is installed but not usable (sinfo: {out.stdout!r} {out.stderr!r}); run tests/cluster/start_slurm.sh"
    )


@pytest.fixture(scope="module")
def slurm_run(tmp_path_factory):
    """Workdir of a completed `snakemake --profile slurm` run, typed at the root of a repo copy (with its
    profiles, like a clone; the reference run copies none)."""
    slurm_is_up()
    base = tmp_path_factory.mktemp("slurm")
    base.chmod(0o755)  # jobs may run as another user on some setups
    repo = copy_repo(base / "repo", profiles=True)
    work = base / "work"
    work.mkdir()
    result = snakemake(
        repo, work, "--profile", "slurm",
        *SLURM_POLLING, "--latency-wait", "10", "--retries", "0",
        *TARGETS, check=False,
    )
    if result.returncode != 0:
        logs = "\n".join(
            f"== {p}\n{p.read_text(errors='replace')[-3000:]}"
            for p in sorted((work / ".snakemake" / "slurm_logs").rglob("*.log"))
        )
        pytest.fail(f"SLURM run failed:\n{result.stderr[-8000:]}\n{logs[-12000:]}")
    return work, result.stdout + result.stderr


def test_jobs_went_through_sbatch(slurm_run):
    work, output = slurm_run
    submitted = dict(re.findall(r"submitted with SLURM jobid (\d+) \(log: (\S+)\)", output)[::-1])
    assert submitted, f"no job was submitted to SLURM:\n{output[-4000:]}"
    logs = sorted((work / ".snakemake" / "slurm_logs").rglob("*.log"))
    # One log per SLURM job, named <jobid>.log under rule_<name>/ or group_<name>/.
    assert {p.stem for p in logs} >= set(submitted), (sorted(submitted), logs)
    dirs = {p.parent.relative_to(work / ".snakemake" / "slurm_logs").parts[0] for p in logs}
    # Heavy stages were submitted as group jobs: the training chain (3 segments of 60 min fit
    # one job under the default 24 h limit) and per-checkpoint analysis.
    assert "group_train_tiny_0_train" in dirs, dirs
    assert any(d.startswith("group_analysis_") for d in dirs), dirs
    if SLURMCTLD_LOG.is_file():  # the controller saw every job
        ctld = SLURMCTLD_LOG.read_text(errors="replace")
        missing = [j for j in submitted if f"JobId={j} " not in ctld]
        assert not missing, f"slurmctld never saw jobs {missing}"


def test_tables_equal_a_local_run(slurm_run, tmp_path_factory):
    work, _ = slurm_run
    _, local = reference_run(tmp_path_factory)
    for name in TABLES:
        got = pd.read_parquet(work / "results" / "tables" / f"{name}.parquet")
        want = pd.read_parquet(local / "results" / "tables" / f"{name}.parquet")
        assert len(got) == len(want) > 0, name
        keys = [c for c in want.columns if not pd.api.types.is_float_dtype(want[c])]
        got = got.sort_values(keys, ignore_index=True)
        want = want.sort_values(keys, ignore_index=True)
        pd.testing.assert_frame_equal(got, want, check_exact=False, rtol=0, atol=1e-9, obj=f"tables/{name}")


def test_targets_exist_and_nothing_is_left_to_do(slurm_run):
    work, _ = slurm_run
    for path in TARGETS:
        assert (work / path).is_file(), path
