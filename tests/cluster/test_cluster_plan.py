"""Cluster jobs as planned by Snakemake through the SLURM profile (dry runs: no SLURM needed).

A dry run prints each group job (one sbatch submission) with its members. The profile
makes members of a group run one after another (serial=1), so a group job's wall time
is the sum of its members' runtimes: no job of the paper grid may exceed
cluster.max_job_runtime, and a chain over it is split.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from inforidge.analyses.registry import SHARED_PROBES_RULE

from tests.workflow_runs import REPO, copy_repo, env, write_config

pytestmark = pytest.mark.slow

SLURM_PROFILE = REPO / "profiles" / "slurm"
GROUP = re.compile(r"Group job (\S+) \(jobs in lexicogr\. order\):")
MEMBER = re.compile(r"^    (?:local)?rule (\w+):")
RUNTIME = re.compile(r"^        resources: .*\bruntime=(\d+)")


def dry_run(workdir: Path, *args: str, cwd: Path = REPO) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"), "--directory", str(workdir),
           "-n", *args]
    return subprocess.run(cmd, capture_output=True, text=True, env=env(), cwd=cwd, timeout=600)


def group_jobs(output: str) -> dict[str, list[tuple[str, int]]]:
    """Group id -> [(rule, runtime)] of its members, from a dry run's job listing."""
    groups: dict[str, list[tuple[str, int]]] = {}
    current = rule = None
    for line in output.splitlines():
        if m := GROUP.search(line):
            current = m.group(1)
            groups[current] = []
        elif current and (m := MEMBER.match(line)):
            rule = m.group(1)
        elif current and (m := RUNTIME.match(line)):
            groups[current].append((rule, int(m.group(1))))
        elif line.startswith(("rule ", "localrule ")):
            current = None  # an ungrouped job
    return groups


def test_paper_grid_has_no_job_over_the_limit(tmp_path):
    result = dry_run(tmp_path, "--workflow-profile", str(SLURM_PROFILE), "--configfile", str(REPO / "configs" / "paper.yaml"))
    assert result.returncode == 0, result.stderr[-6000:]
    groups = group_jobs(result.stdout + result.stderr)
    assert len(groups) > 100, sorted(groups)[:10]
    walltime = {group: sum(runtime for _, runtime in members) for group, members in groups.items()}
    assert max(walltime.values()) <= 1440, sorted(walltime.items(), key=lambda kv: -kv[1])[:5]
    # Llama: 8 segments of 240 min (32 h as one job before) -> 3 + 3 + 2 segments.
    llama = sorted(g for g in groups if g.startswith("train_llama3.1-8b-synthetic_"))
    assert [len(groups[g]) for g in llama] == [3, 3, 2], llama
    assert {rule for members in groups.values() for rule, _ in members} >= {"train", "activations", "mi", SHARED_PROBES_RULE}


def test_a_chain_over_the_limit_is_split(tmp_path):
    # configs/test.yaml: 3 segments of 60 min; 250 min holds 250 // (2 x 60) = 2 per job.
    config = write_config(tmp_path / "config.yaml", cluster={"max_job_runtime": 250})
    result = dry_run(tmp_path / "work", "--workflow-profile", str(SLURM_PROFILE), "--configfile", str(config))
    assert result.returncode == 0, result.stderr[-6000:]
    groups = group_jobs(result.stdout + result.stderr)
    assert groups["train_tiny_0"] == [("train", 60), ("train", 60)]
    assert groups["train_tiny_1"] == [("train", 60)]


def test_a_segment_over_the_limit_stops_the_plan(tmp_path):
    config = write_config(tmp_path / "config.yaml", cluster={"max_job_runtime": 45})
    result = dry_run(tmp_path / "work", "--workflow-profile", str(SLURM_PROFILE), "--configfile", str(config))
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "invalid config: runs.tiny.resources.train.runtime: one job needs 60 min, more than " \
           "cluster.max_job_runtime (45 min)" in output, output[-3000:]


def test_profiles_work_from_any_directory(tmp_path):
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    # The SLURM profile by name, found next to the Snakefile; -d elsewhere; the embedded config.
    result = dry_run(tmp_path / "work", "--workflow-profile", "slurm", cwd=elsewhere)
    assert result.returncode == 0, result.stderr[-4000:]
    assert f"Using workflow specific profile {SLURM_PROFILE}" in result.stderr
    # A local run names its cores; the default profile, found the same way, adds keep-going etc.
    work = tmp_path / "local"
    cmd = [sys.executable, "-m", "snakemake", "results/data/arithmetic/eval_id.parquet", "--cores", "1",
           "--snakefile", str(REPO / "Snakefile"), "--directory", str(work), "--configfile",
           str(REPO / "configs" / "test.yaml")]
    local = subprocess.run(cmd, capture_output=True, text=True, env=env(), cwd=elsewhere, timeout=600)
    assert local.returncode == 0, local.stderr[-4000:]
    assert f"Using workflow specific profile {REPO / 'profiles' / 'default'}" in local.stderr
    assert (work / "results" / "data" / "arithmetic" / "eval_id.parquet").is_file()


def test_profile_slurm_from_a_clones_root(tmp_path):
    """`snakemake --profile slurm -n`, typed at the root of a copy laid out like a fresh clone."""
    repo = copy_repo(tmp_path / "clone", profiles=True)
    assert (repo / "slurm").is_symlink()
    cmd = [sys.executable, "-m", "snakemake", "--profile", "slurm", "-n", "--directory", str(tmp_path / "work")]
    result = subprocess.run(cmd, capture_output=True, text=True, env=env(), cwd=repo, timeout=600)
    assert result.returncode == 0, result.stderr[-4000:]
    assert "Using profiles slurm and workflow specific profile profiles/default" in result.stderr
    # No automatically applied profile sets cores (it would cap every SLURM job's threads).
    for profile in ("slurm", "profiles/default"):
        assert "cores" not in yaml.safe_load((repo / profile / "config.yaml").read_text()), profile
