"""Start-up cost of each workflow stage: the time its script's imports take in a fresh interpreter.

Every Snakemake script job starts a new Python process and imports its script's modules
before doing any work. This runs each ``workflow/scripts/*.py``'s top-level imports in a
fresh interpreter (median of --repeats) and lists the heavy libraries they load; the bare
interpreter start is the baseline. Compare with the per-rule work times that
``bench_default_run.py`` prints (first to last log line of each job). Usage:
    PYTHONPATH=src .venv/bin/python benchmarks/bench_overhead.py [--repeats 3] [--importtime]
"""

from __future__ import annotations

import argparse
import re
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
HEAVY = ("torch", "transformers", "peft", "matplotlib", "seaborn", "datasets", "scipy")


def script_imports(path: Path) -> str:
    """The script's top-level import statements."""
    return "\n".join(line for line in path.read_text().splitlines() if re.match(r"(from|import) \S", line))


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def time_imports(code: str, repeats: int) -> tuple[float, float, list[str]]:
    """Median wall and CPU seconds of a fresh interpreter running ``code``, and the heavy libraries it loaded.

    CPU seconds (user + system) barely depend on other load on the machine; wall seconds do.
    """
    probe = f"{code}\nimport sys\nprint(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    walls, cpus, loaded = [], [], []
    for _ in range(repeats):
        start, cpu = time.perf_counter(), _children_cpu()
        out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
        walls.append(time.perf_counter() - start)
        cpus.append(_children_cpu() - cpu)
        loaded = out.split()
    return statistics.median(walls), statistics.median(cpus), loaded


def top_imports(code: str, n: int = 5) -> list[tuple[str, float]]:
    """The ``n`` top-level packages with the largest cumulative import time (-X importtime)."""
    err = subprocess.run([sys.executable, "-X", "importtime", "-c", code], capture_output=True, text=True).stderr
    packages: dict[str, float] = {}
    for line in err.splitlines():
        parts = line.split("|")
        if len(parts) == 3 and parts[1].strip().isdigit() and not parts[2].startswith("  "):
            name = parts[2].strip().split(".")[0]
            packages[name] = packages.get(name, 0) + int(parts[1]) / 1e6
    return sorted(packages.items(), key=lambda kv: -kv[1])[:n]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--scripts", nargs="+", help="only these script names (default: all)")
    parser.add_argument("--importtime", action="store_true", help="also list the slowest top-level imports")
    args = parser.parse_args()
    print(f"loadavg at start: {Path('/proc/loadavg').read_text().strip()}")
    wall, cpu, _ = time_imports("pass", args.repeats)
    print(f"bare interpreter start: {wall:.2f} s wall, {cpu:.2f} s CPU\n")
    print("script | imports wall s | imports CPU s (fresh interpreter, median) | heavy libraries loaded")
    for script in sorted((REPO / "workflow" / "scripts").glob("*.py")):
        if args.scripts and script.name not in args.scripts:
            continue
        code = script_imports(script)
        wall, cpu, loaded = time_imports(code, args.repeats)
        extra = f" | top: {', '.join(f'{k} {v:.1f}s' for k, v in top_imports(code))}" if args.importtime else ""
        print(f"{script.name} | {wall:.2f} | {cpu:.2f} | {' '.join(loaded) or '-'}{extra}", flush=True)
    print(f"loadavg at end: {Path('/proc/loadavg').read_text().strip()}")


if __name__ == "__main__":
    main()
