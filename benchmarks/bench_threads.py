"""Training-step time by model width and torch threads, idle and next to one busy process.

The measurement behind ``inforidge.core.threads.PARALLEL_FROM_WIDTH``: a scratch
GPT-2-architecture model (4 blocks, the default run's shape at width 64) on random
arithmetic-length sequences (batch 64, T = 12, vocabulary 40), one AdamW step = forward +
backward + update. Each (width, threads, competitor) cell is the median of --steps steps
after 3 warm-up steps, in a fresh interpreter so the thread count is set before torch
starts its pools. Usage:
    .venv/bin/python benchmarks/bench_threads.py [--widths 64 128 256 512] [--threads 1 2] [--steps 20]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from contextlib import nullcontext
from pathlib import Path

from bench_default_run import busy_process, loadavg

CHILD = """
import statistics, sys, time, torch
from transformers import AutoModelForCausalLM, GPT2Config
width, threads, steps = map(int, sys.argv[1:4])
torch.set_num_threads(threads)
torch.manual_seed(0)
model = AutoModelForCausalLM.from_config(GPT2Config(vocab_size=40, n_layer=4, n_embd=width, n_head=4, n_positions=32))
opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
ids = torch.randint(0, 40, (64, 12))
times = []
for i in range(steps + 3):
    start = time.perf_counter()
    opt.zero_grad()
    model(input_ids=ids, labels=ids).loss.backward()
    opt.step()
    times.append(time.perf_counter() - start)
print(statistics.median(times[3:]) * 1000)
"""


def step_ms(width: int, threads: int, steps: int) -> float:
    env_threads = {"OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads)}
    out = subprocess.run([sys.executable, "-c", CHILD, str(width), str(threads), str(steps)], capture_output=True,
                         text=True, check=True, env={**_env(), **env_threads}).stdout
    return float(out.split()[-1])


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.endswith("_NUM_THREADS")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--widths", type=int, nargs="+", default=[64, 128, 256, 512])
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--competitor", nargs="+", default=["none", "busy"], choices=["none", "busy"])
    args = parser.parse_args()
    print(f"loadavg at start: {Path('/proc/loadavg').read_text().strip()}")
    print("competitor | width | " + " | ".join(f"{t} thread(s) ms/step" for t in args.threads) + " | loadavg")
    for competitor in args.competitor:
        for width in args.widths:
            with busy_process(3600) if competitor == "busy" else nullcontext():
                cells = [step_ms(width, t, args.steps) for t in args.threads]
            print(f"{competitor} | {width} | " + " | ".join(f"{c:.0f}" for c in cells) + f" | {loadavg():.1f}",
                  flush=True)


if __name__ == "__main__":
    main()
