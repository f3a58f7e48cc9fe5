"""Helpers shared by the cluster, rerun and fault tests: run the workflow from a COPY
of the repository in a tmp dir and read what ``snakemake -n`` would schedule; the two
workflow runs that several test modules read (the local reference run, the SLURM run).

Why a copy: the rules declare package files (``workflow.basedir/src/inforidge``) as
inputs, so tests that edit code edit the copy, never the shared checkout. The copy's
files keep their mtimes (``copy2``). The scripts still import the installed (editable)
``inforidge``; only the rerun decision looks at the copied files.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
TEST_CONFIG = REPO / "configs" / "test.yaml"
SNAKEMAKE = [sys.executable, "-m", "snakemake"]
# What the workflow reads from the repository (everything else is irrelevant to it).
REPO_ITEMS = ("Snakefile", "config.yaml", "workflow", "src", "configs", "envs")
# The profiles, as a clone has them: profiles/default (which Snakemake then applies to every run
# from the copy) and the `slurm` link at the root that `snakemake --profile slurm` finds.
PROFILE_ITEMS = ("profiles", "slurm")
IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", ".pytest_cache")
RUN_TIMEOUT = 1800  # s, a full tiny run; generous because CI machines are shared
# Status polling of the SLURM tests' runs: the first squeue 3 s after a submission and then every
# 2 s (Snakemake's defaults: the profile's 40 s, then 10 s), so a finished job is seen at once and
# the chain train -> analysis -> tables does not idle per link. squeue-based checks stay valid
# while MinJobAge (3600 s in tests/cluster/start_slurm.sh) >= 3 x the first wait.
SLURM_POLLING = ("--slurm-init-seconds-before-status-checks", "3", "--seconds-between-status-checks", "2")


def copy_repo(dest: Path, profiles: bool = False) -> Path:
    """Copy the parts of the repository the workflow uses to ``dest`` (mtimes kept, links as links).

    ``profiles``: also the Snakemake profiles, for tests of the commands users type; without them
    a run takes exactly the options its test passes.
    """
    dest.mkdir(parents=True, exist_ok=True)
    for item in REPO_ITEMS + (PROFILE_ITEMS if profiles else ()):
        src = REPO / item
        if src.is_symlink():
            os.symlink(os.readlink(src), dest / item)
        elif src.is_dir():
            shutil.copytree(src, dest / item, ignore=IGNORE, symlinks=True)
        elif src.exists():
            shutil.copy2(src, dest / item)
    return dest


def env() -> dict[str, str]:
    """The venv's bin first on PATH (script jobs and SLURM jobs find the same python)."""
    return {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}


def command(repo: Path, workdir: Path, *args: str, config: Path = TEST_CONFIG) -> list[str]:
    return [
        *SNAKEMAKE, "--snakefile", str(repo / "Snakefile"), "--directory", str(workdir),
        "--configfile", str(config), *args,
    ]


def snakemake(
    repo: Path, workdir: Path, *args: str, config: Path = TEST_CONFIG, check: bool = True, timeout: int = RUN_TIMEOUT,
    cwd: Path | None = None,
) -> subprocess.CompletedProcess:
    """Run snakemake on ``repo``'s Snakefile in ``workdir``; raise with its output on failure."""
    cmd = command(repo, workdir, *args, config=config)
    result = subprocess.run(cmd, capture_output=True, text=True, env=env(), timeout=timeout, cwd=cwd or repo)
    if check and result.returncode != 0:
        raise AssertionError(
            f"{' '.join(cmd)} failed ({result.returncode}):\n{result.stdout[-6000:]}\n{result.stderr[-10000:]}"
        )
    return result


_STATS_HEADER = re.compile(r"^job\s+count\b")
_STATS_ROW = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\s+(\d+)\s*$")


def parse_job_stats(text: str) -> dict[str, int]:
    """Rule -> job count from the 'Job stats' table of ``snakemake -n`` ({} if nothing to do).

    The table is printed once per dry run (twice in some versions; the last one wins).
    """
    counts: dict[str, int] = {}
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if not _STATS_HEADER.match(line.strip()):
            continue
        counts = {}
        for row in lines[i + 1:]:
            row = row.strip()
            if not row or set(row) <= {"-", " "}:
                continue
            m = _STATS_ROW.match(row)
            if not m or m.group(1) == "total":
                break
            counts[m.group(1)] = int(m.group(2))
    return counts


def scheduled(repo: Path, workdir: Path, *args: str, config: Path = TEST_CONFIG) -> dict[str, int]:
    """Rule -> number of jobs ``snakemake -n`` would run now (``all`` excluded)."""
    result = snakemake(repo, workdir, "-n", "--quiet", "rules", *args, config=config, timeout=300)
    out = result.stdout + "\n" + result.stderr
    counts = parse_job_stats(out)
    if not counts and "Nothing to be done" not in out:
        raise AssertionError(f"could not parse the dry run's job stats:\n{out[-6000:]}")
    counts.pop("all", None)
    return counts


def write_config(path: Path, **changes) -> Path:
    """configs/test.yaml with dotted-key changes, e.g. ``{"mi.permutations": 3}``."""
    data = yaml.safe_load(TEST_CONFIG.read_text())
    for dotted, value in changes.items():
        node = data
        *parents, leaf = dotted.split(".")
        for key in parents:
            node = node.setdefault(key, {})
        node[leaf] = value
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def copy_workdir(src: Path, dest: Path) -> Path:
    """A finished workdir copied with mtimes (copy2 + copystat on dirs) and links kept."""
    shutil.copytree(src, dest, symlinks=True)
    return dest


_REFERENCE: dict[str, tuple[Path, Path]] = {}


def reference_run(tmp_path_factory) -> tuple[Path, Path]:
    """(repo copy, workdir) of ONE completed local ``--cores 2`` run of configs/test.yaml.

    Memoised per test process, so the cluster test and the rerun matrix share it. Treat
    both directories as read-only (copy the workdir before changing anything).
    """
    if "ref" not in _REFERENCE:
        base = tmp_path_factory.mktemp("reference")
        repo = copy_repo(base / "repo")
        work = base / "work"
        work.mkdir()
        snakemake(repo, work, "--cores", "2")
        _REFERENCE["ref"] = (repo, work)
    return _REFERENCE["ref"]


# The SLURM run of tests/cluster (test_slurm_workflow and test_slurm_requests read the same one):
# configs/test.yaml through `--profile slurm` with per-stage resources that differ from each other
# (a request taken from the wrong stage shows) and a 20-minute cluster.max_job_runtime, so the
# training chain (3 segments of 5 min) comes as two jobs. Every checkpoint's analysis job (two
# dumps and two MI jobs; early exit too at step 0) stays under the limit as well: 16 and 10 min.
SLURM_RESOURCES = {
    "train": {"threads": 3, "mem_mb": 1500, "runtime": 5, "gpu": 1},
    "activations": {"threads": 2, "mem_mb": 1200, "runtime": 3, "gpu": 1},
    "mi": {"threads": 1, "mem_mb": 1100, "runtime": 2, "gpu": 0},
    "probes": {"threads": 2, "mem_mb": 1300, "runtime": 6, "gpu": 1},
}
SLURM_MAX_JOB_RUNTIME = 20
# The tables compared with the local reference run, one probe job (the probes' request) and the
# read-outs of one checkpoint (their own group job, readouts_tiny_0: a read-out in the analysis
# group made every such job fail with "More processors requested than permitted"); other probes,
# checkpoints' read-outs and figures add minutes and nothing SLURM-specific.
SLURM_READOUTS = tuple(f"results/runs/tiny/readouts/step-0/{split}/linear_probe.parquet"
                       for split in ("eval_id", "eval_ood"))
SLURM_TARGETS = ("results/tables/mi.parquet", "results/tables/training.parquet", "results/tables/runs.parquet",
                 "results/runs/tiny/probes/step-0/early_exit.parquet", *SLURM_READOUTS)
SLURM_OPTIONS = ("--profile", "slurm", *SLURM_POLLING, "--latency-wait", "10", "--retries", "0")


def slurm_config(base: Path, gpu_request: str) -> Path:
    """``base/config.yaml``: the SLURM run's config, GPUs requested as ``gpu_request``, HF_HOME ``base/hf``."""
    return write_config(
        base / "config.yaml",
        **{f"runs.tiny.resources.{stage}": res for stage, res in SLURM_RESOURCES.items()},
        cluster={"max_job_runtime": SLURM_MAX_JOB_RUNTIME, "gpu_request": gpu_request, "hf_home": str(base / "hf")},
    )


def run_slurm(repo: Path, work: Path, config: Path, targets: tuple[str, ...]) -> str:
    """Snakemake's output of a ``--profile slurm`` run typed at the root of ``repo``; raise with the job logs on failure."""
    result = snakemake(repo, work, *SLURM_OPTIONS, *targets, config=config, check=False)
    output = result.stdout + result.stderr
    if result.returncode != 0:
        logs = "\n".join(
            f"== {p}\n{p.read_text(errors='replace')[-3000:]}"
            for p in sorted((work / ".snakemake" / "slurm_logs").rglob("*.log"))
        )
        raise AssertionError(f"SLURM run failed ({result.returncode}):\n{output[-8000:]}\n{logs[-12000:]}")
    return output


def slurm_is_up() -> None:
    """Fail (not skip) when SLURM is installed but no node is usable."""
    out = subprocess.run(["sinfo", "-h", "-o", "%T"], capture_output=True, text=True, timeout=30)
    states = out.stdout.split()
    assert out.returncode == 0 and any(s in {"idle", "mixed", "allocated", "completing"} for s in states), (
        f"SLURM is installed but not usable (sinfo: {out.stdout!r} {out.stderr!r}); run tests/cluster/start_slurm.sh"
    )


_SLURM: dict[str, tuple[Path, str]] = {}


def slurm_run(tmp_path_factory) -> tuple[Path, str]:
    """(workdir, snakemake's output) of ONE completed SLURM run of ``SLURM_TARGETS`` (``gpu_request: gres``).

    Typed at the root of a repo copy with its profiles, like a clone. Memoised per test process
    like :func:`reference_run` (the modules that read it share a worker, tests/conftest.py);
    read-only. Its jobs stay visible to ``scontrol`` for MinJobAge (tests/cluster/start_slurm.sh).
    """
    if "run" not in _SLURM:
        slurm_is_up()
        base = tmp_path_factory.mktemp("slurm")
        base.chmod(0o755)  # jobs may run as another user on some setups
        repo = copy_repo(base / "repo", profiles=True)
        work = base / "work"
        work.mkdir()
        _SLURM["run"] = (work, run_slurm(repo, work, slurm_config(base, "gres"), SLURM_TARGETS))
    return _SLURM["run"]
