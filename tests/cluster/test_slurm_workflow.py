"""The tiny workflow through the real SLURM executor (profiles/slurm), compared with a local run.

Needs the single-node cluster of tests/cluster/start_slurm.sh (CI starts it first). Skipped
only when ``sinfo`` is not installed; a cluster that is installed but down is a failure. The
SLURM run is the one test_slurm_requests.py reads too (``tests.workflow_runs.slurm_run``: the
tables below, with per-stage resources whose requests that module checks).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from tests.workflow_runs import SLURM_READOUTS, SLURM_TARGETS, reference_run, slurm_run

pytestmark = [
    pytest.mark.cluster,
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("sinfo") is None, reason="SLURM not installed (no `sinfo`); start it with tests/cluster/start_slurm.sh"),
]

SLURMCTLD_LOG = Path("/var/log/slurm/slurmctld.log")
# Tables whose numbers must not depend on where the jobs ran, and per-job files of the same kind
# (the read-outs: the SLURM run builds one checkpoint's, not their table).
TABLES = tuple(f"results/tables/{name}.parquet" for name in ("mi", "training")) + SLURM_READOUTS


@pytest.fixture(scope="module")
def slurm_workflow(tmp_path_factory):
    """(workdir, output) of the shared SLURM run."""
    return slurm_run(tmp_path_factory)


def test_jobs_went_through_sbatch(slurm_workflow):
    work, output = slurm_workflow
    submitted = dict(re.findall(r"submitted with SLURM jobid (\d+) \(log: (\S+)\)", output)[::-1])
    assert submitted, f"no job was submitted to SLURM:\n{output[-4000:]}"
    logs = sorted((work / ".snakemake" / "slurm_logs").rglob("*.log"))
    # One log per SLURM job, named <jobid>.log under rule_<name>/ or group_<name>/.
    assert {p.stem for p in logs} >= set(submitted), (sorted(submitted), logs)
    dirs = {p.parent.relative_to(work / ".snakemake" / "slurm_logs").parts[0] for p in logs}
    # Heavy stages were submitted as group jobs: the training chain (in packs under
    # cluster.max_job_runtime), per-checkpoint analysis and read-outs.
    assert "group_train_tiny_0_train" in dirs, dirs
    assert any(d.startswith("group_analysis_") for d in dirs), dirs
    assert any(d.startswith("group_readouts_") for d in dirs), dirs
    if SLURMCTLD_LOG.is_file():  # the controller saw every job
        ctld = SLURMCTLD_LOG.read_text(errors="replace")
        missing = [j for j in submitted if f"JobId={j} " not in ctld]
        assert not missing, f"slurmctld never saw jobs {missing}"


def test_tables_equal_a_local_run(slurm_workflow, tmp_path_factory):
    work, _ = slurm_workflow
    _, local = reference_run(tmp_path_factory)
    for name in TABLES:
        got = pd.read_parquet(work / name)
        want = pd.read_parquet(local / name)
        assert len(got) == len(want) > 0, name
        keys = [c for c in want.columns if not pd.api.types.is_float_dtype(want[c])]
        got = got.sort_values(keys, ignore_index=True)
        want = want.sort_values(keys, ignore_index=True)
        pd.testing.assert_frame_equal(got, want, check_exact=False, rtol=0, atol=1e-9, obj=name)


def test_targets_exist_and_nothing_is_left_to_do(slurm_workflow):
    work, _ = slurm_workflow
    for path in SLURM_TARGETS:
        assert (work / path).is_file(), path
