"""Wall time of the default run, idle and with one competing busy process.

Copies the repository (tracked and untracked-not-ignored files) into a temporary directory
and runs ``snakemake --cores 2`` on its ``config.yaml`` from a clean results directory,
once idle and once next to a bounded busy loop that this script starts and stops. Prints
both times, their ratio, the CPU seconds of the whole run (and of the Snakemake process
itself), the load average before and during each run, and the per-rule
job times from the Snakemake ``benchmark:`` TSVs (job wall time including start-up).

Goal (issue 17): <= 3 min idle and <= 1.5x idle with the busy process. Usage:
    .venv/bin/python benchmarks/bench_default_run.py [--config config.yaml] [--cores 2]
        [--modes idle busy] [--json out.json] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from contextlib import contextmanager, nullcontext
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BUSY_LOOP = "import time, sys\nend = time.time() + float(sys.argv[1])\nwhile time.time() < end:\n    pass\n"
# Snakemake's command line, printing its own process's CPU seconds (scheduling, DAG updates,
# benchmark sampling; not its jobs') to stderr on exit.
SNAKEMAKE = ("import atexit, resource, sys\nfrom snakemake.cli import main\n"
             "def own():\n    u = resource.getrusage(resource.RUSAGE_SELF)\n"
             "    print(f'SNAKEMAKE_OWN_CPU {u.ru_utime + u.ru_stime:.2f}', file=sys.stderr)\n"
             "atexit.register(own)\nsys.argv[0] = 'snakemake'\nmain()\n")


def loadavg() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


def copy_repo(dest: Path) -> None:
    """Tracked and untracked-not-ignored files of the repository (no results, no .venv)."""
    files = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"], cwd=REPO,
                           capture_output=True, text=True, check=True).stdout.split("\0")
    for name in filter(None, files):
        src = REPO / name
        if src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)


@contextmanager
def busy_process(seconds: float):
    """One single-threaded busy loop, bounded by ``seconds`` and stopped on exit."""
    proc = subprocess.Popen([sys.executable, "-c", BUSY_LOOP, str(seconds)])
    try:
        yield proc
    finally:
        proc.terminate()
        proc.wait()


@contextmanager
def load_sampler(every: float = 5.0):
    """Samples the 1-min load average while the block runs; yields the list it fills."""
    samples: list[float] = []
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(every):
            samples.append(loadavg())

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield samples
    finally:
        stop.set()
        thread.join()


def children_cpu() -> float:
    """User + system CPU seconds of every finished child process tree: Snakemake and all its jobs."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def job_times(workdir: Path) -> dict[str, list[float]]:
    """Wall seconds of every job by rule, from the Snakemake benchmark TSVs."""
    times: dict[str, list[float]] = defaultdict(list)
    for tsv in (workdir / "benchmarks" / "results").rglob("*.tsv"):
        rule = tsv.relative_to(workdir / "benchmarks" / "results").parts[0]
        rows = tsv.read_text().splitlines()
        times[rule].append(float(rows[1].split("\t")[0]))
    return dict(times)


def log_work_times(workdir: Path) -> dict[str, list[float]]:
    """Seconds from each job's first to last log line by rule: its work after imports and start-up."""
    times: dict[str, list[float]] = defaultdict(list)
    for log in (workdir / "logs").rglob("*.log"):
        lines = [line for line in log.read_text().splitlines() if line[:4].isdigit() and " inforidge." in line]
        if len(lines) >= 2:
            first, last = (datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S,%f") for line in (lines[0], lines[-1]))
            times[lines[0].split()[2].removeprefix("inforidge.")].append((last - first).total_seconds())
    return dict(times)


def accuracies(workdir: Path) -> list[dict]:
    """Per-checkpoint held-out accuracy by split from the training table: what a smaller run costs."""
    import pandas as pd  # only after the run: the timed part needs nothing here

    frame = pd.read_parquet(workdir / "results" / "tables" / "training.parquet")
    return frame.pivot_table(index=["run", "step"], columns="split", values="accuracy").reset_index().to_dict("records")


def run_once(config: str, cores: int, busy: bool, timeout: float, keep: Path | None = None) -> dict:
    """One clean default run in a fresh copy of the repository (kept in ``keep`` when given)."""
    with tempfile.TemporaryDirectory(prefix="inforidge-bench-") as tmp:
        workdir = keep / ("busy" if busy else "idle") if keep else Path(tmp)
        workdir.mkdir(parents=True, exist_ok=keep is None)  # the temporary directory exists already
        copy_repo(workdir)
        env = {k: v for k, v in os.environ.items() if not k.endswith("_NUM_THREADS") and k != "PYTHONPATH"}
        env["PATH"] = f"{Path(sys.executable).parent}:{env.get('PATH', '')}"
        command = [sys.executable, "-c", SNAKEMAKE, "--cores", str(cores), "--configfile", config,
                   "--rerun-incomplete", "--quiet", "all"]
        before = loadavg()
        with busy_process(timeout) if busy else nullcontext(), load_sampler() as samples:
            start, cpu_start = time.perf_counter(), children_cpu()
            proc = subprocess.run(command, cwd=workdir, env=env, capture_output=True, text=True, timeout=timeout)
            wall, cpu = time.perf_counter() - start, children_cpu() - cpu_start
        if proc.returncode != 0:
            raise RuntimeError(f"snakemake failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
        own = [line.split()[1] for line in proc.stderr.splitlines() if line.startswith("SNAKEMAKE_OWN_CPU ")]
        return {"mode": "busy" if busy else "idle", "wall_s": wall, "cpu_s": cpu,
                "snakemake_cpu_s": float(own[-1]) if own else None, "load_before": before,
                "load_during_mean": sum(samples) / max(len(samples), 1), "load_during_max": max(samples, default=before),
                "jobs": job_times(workdir), "work": log_work_times(workdir),
                "accuracy": accuracies(workdir)}


def report(results: list[dict]) -> None:
    for r in results:
        print(f"{r['mode']}: {r['wall_s']:.0f} s ({r['wall_s'] / 60:.2f} min), {r['cpu_s']:.0f} CPU s "
              f"(Snakemake's own process {r['snakemake_cpu_s']:.0f}); loadavg before {r['load_before']:.2f}, "
              f"during mean {r['load_during_mean']:.2f} max {r['load_during_max']:.2f}")
    by_mode = {r["mode"]: r["wall_s"] for r in results}
    if {"idle", "busy"} <= by_mode.keys():
        print(f"busy / idle = {by_mode['busy'] / by_mode['idle']:.2f} (goal <= 1.5; idle goal <= 180 s)")
    for r in results:
        print(f"\nheld-out accuracy per checkpoint ({r['mode']}):")
        for row in r["accuracy"]:
            print("  " + ", ".join(f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}" for k, v in row.items()))
    for r in results:
        print(f"\nper-rule job wall times ({r['mode']}): rule | jobs | mean s | total s")
        for rule, secs in sorted(r["jobs"].items(), key=lambda kv: -sum(kv[1])):
            print(f"{rule} | {len(secs)} | {sum(secs) / len(secs):.1f} | {sum(secs):.0f}")
        print(f"\nper-rule work after start-up, first to last log line ({r['mode']}): rule | jobs | mean s | total s")
        for rule, secs in sorted(r["work"].items(), key=lambda kv: -sum(kv[1])):
            print(f"{rule} | {len(secs)} | {sum(secs) / len(secs):.2f} | {sum(secs):.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="config.yaml")
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--modes", nargs="+", default=["idle", "busy"], choices=["idle", "busy"])
    parser.add_argument("--timeout", type=float, default=3600, help="seconds; also bounds the busy loop")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--keep", type=Path, help="run in KEEP/idle and KEEP/busy (new folders) and keep the results")
    args = parser.parse_args()
    results = []
    for mode in args.modes:
        results.append(run_once(args.config, args.cores, mode == "busy", args.timeout, args.keep))
        print(f"{mode} done: {results[-1]['wall_s']:.0f} s", flush=True)
    report(results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
