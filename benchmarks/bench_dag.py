"""How long does `snakemake -n` take on a large sweep? (target: >= 1,000 jobs in < 20 s)

Generates a config with many runs x checkpoints into a tmp dir and times a dry run of the
repository's Snakefile on it (an empty workdir, so every job is scheduled).

    .venv/bin/python benchmarks/bench_dag.py                 # default sweep sizes
    .venv/bin/python benchmarks/bench_dag.py --runs 40 --checkpoints 12 --repeat 3
    .venv/bin/python benchmarks/bench_dag.py --profile       # + cProfile top functions

Results are written down in benchmarks/README-dag.md.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]


def sweep_config(runs: int, checkpoints: int, seeds: int = 1) -> dict:
    """`runs` runs (x `seeds`) of the tiny model, `checkpoints` checkpoints each (plus step 0)."""
    steps = sorted({max(1, round(1000 * (i + 1) / checkpoints)) for i in range(checkpoints)})
    cfg = {
        "device": "cpu",
        "tasks": {"arithmetic": {"kind": "arithmetic", "sizes": {"train": 512, "eval_id": 96, "eval_ood": 96, "probe_ood": 96}}},
        "runs": {},
    }
    for r in range(runs):
        for s in range(seeds):
            cfg["runs"][f"r{r:03d}-s{s}"] = {
                "task": "arithmetic",
                "seed": s,
                "model": {"source": "scratch", "architecture": "gpt2", "n_layer": 2 + r % 4, "n_embd": 32, "n_head": 2},
                "training": {"steps": 1000, "checkpoints": steps, "lr": 1e-3 * (1 + r % 5)},
            }
    return cfg


def job_count(output: str) -> int:
    m = re.findall(r"^total\s+(\d+)\s*$", output, flags=re.M)
    if not m:
        raise RuntimeError(f"no job stats in the dry run output:\n{output[-3000:]}")
    return int(m[-1])


def dry_run(config: Path, workdir: Path, profile: Path | None = None, repo: Path = REPO) -> tuple[float, float, int, str]:
    """(wall seconds, CPU seconds of the snakemake process, jobs, output) of one dry run.

    CPU seconds (user + sys) is what the wall time would be on an idle machine; on a
    shared one the wall time also counts waiting for a core.
    """
    cmd = [sys.executable]
    if profile:
        cmd += ["-m", "cProfile", "-o", str(profile)]
    cmd += [
        "-m", "snakemake", "-n", "--quiet", "rules", "--snakefile", str(repo / "Snakefile"),
        "--directory", str(workdir), "--configfile", str(config),
    ]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    res = subprocess.run(cmd, capture_output=True, text=True, cwd=repo)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    out = res.stdout + res.stderr
    if res.returncode != 0:
        raise RuntimeError(f"dry run failed:\n{out[-4000:]}")
    return elapsed, cpu, job_count(out), out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, nargs="+", default=[5, 20, 40])
    ap.add_argument("--checkpoints", type=int, default=12)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--repo", type=Path, default=REPO, help="checkout whose Snakefile is timed (A/B a change)")
    ap.add_argument("--profile", action="store_true", help="cProfile the largest sweep, print the top 25")
    args = ap.parse_args()

    print(f"{'runs':>5} {'ckpts':>5} {'jobs':>6} {'wall s':>8} {'cpu s':>8}  {'load':>5}   ({args.repo / 'Snakefile'})")
    with tempfile.TemporaryDirectory(prefix="inforidge-bench-dag-") as tmp:
        tmp = Path(tmp)
        for runs in args.runs:
            config = tmp / f"sweep-{runs}.yaml"
            config.write_text(yaml.safe_dump(sweep_config(runs, args.checkpoints)))
            work = tmp / f"work-{runs}"
            work.mkdir()
            times = []
            for _ in range(args.repeat):
                elapsed, cpu, jobs, _ = dry_run(config, work, repo=args.repo)
                times.append((elapsed, cpu))
            wall, cpu = min(times)
            print(f"{runs:>5} {args.checkpoints:>5} {jobs:>6} {wall:>8.2f} {cpu:>8.2f}  {os.getloadavg()[0]:>5.1f}", flush=True)
        if args.profile:
            import pstats

            prof = tmp / "dag.prof"
            dry_run(tmp / f"sweep-{args.runs[-1]}.yaml", tmp / f"work-{args.runs[-1]}", profile=prof, repo=args.repo)
            pstats.Stats(str(prof)).sort_stats("cumulative").print_stats(25)


if __name__ == "__main__":
    main()
