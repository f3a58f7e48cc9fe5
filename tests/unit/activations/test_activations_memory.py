"""Peak memory of a dump does not grow with the number of examples (rows are streamed to disk)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

STEPS = 8  # decode steps: multiplies the stored bytes per example at little compute

# Runs in a fresh interpreter: builds N examples with STEPS-token targets, loads the model
# once (dump_split is pointed at that copy), warms up with a small dump (imports,
# allocator), resets the kernel's peak-RSS mark (VmHWM) to the current RSS, dumps N
# examples and prints the peak growth in KiB. Not ru_maxrss: it also counts the peak of
# the forked pytest process before exec, which can hide the dump's peak entirely.
# One torch thread: per-thread allocator arenas add noise of the size being measured, and
# spinning worker threads slow the test badly on a busy machine.
_PROBE = textwrap.dedent(f"""
    import re, sys
    import torch
    torch.set_num_threads(1)
    from pathlib import Path
    from inforidge.activations import dump as dump_module
    from inforidge.tasks.arithmetic import ArithmeticTask
    n, ckpt, out = int(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
    sizes = {{"train": n, "eval_id": n, "eval_ood": n, "probe_ood": n}}
    frame = ArithmeticTask(13, tuple(k for k in range(5, 26) if k != 13), 10, 100, sizes, 0).build_split("eval_id")
    frame["target"] = frame["target"] + " 1" * {STEPS - 1}
    loaded = dump_module.load_model(str(ckpt), "cpu")
    dump_module.load_model = lambda path, device: loaded
    options = dict(dtype="float32", batch_size=64, decode_steps={STEPS}, device="cpu")
    dump_module.dump_split(ckpt, frame, out / "warmup", max_examples=128, **options)
    def status_kib(field):
        return int(re.search(field + r":\\s+(\\d+) kB", Path("/proc/self/status").read_text()).group(1))
    Path("/proc/self/clear_refs").write_text("5")  # VmHWM := VmRSS
    baseline = status_kib("VmRSS")
    dump_module.dump_split(ckpt, frame, out / "split", **options)
    print(status_kib("VmHWM") - baseline)
""")


# Make RSS track live memory rather than allocator caches: glibc's dynamic mmap threshold
# and Arrow's jemalloc/mimalloc pool (used when meta.parquet is built) otherwise keep freed
# memory mapped, which reads as a few MiB of spurious growth.
_ALLOCATOR_ENV = {"MALLOC_MMAP_THRESHOLD_": "65536", "MALLOC_TRIM_THRESHOLD_": "131072", "MALLOC_ARENA_MAX": "1",
                  "ARROW_DEFAULT_MEMORY_POOL": "system"}


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/clear_refs").exists(), reason="needs Linux /proc peak-RSS reset")
def test_peak_rss_flat_in_examples(build_checkpoint: Callable[..., Path], tmp_path: Path) -> None:
    # One block of width 128, float32, 8 steps: 4 sites/layers × 8 steps × 512 B = 16 KiB
    # stored per example, so holding the data in memory would add ~16 MiB at N = 1024 and
    # ~64 MiB at 4N.
    ckpt = build_checkpoint(tmp_path / "ckpt", "gpt2", n_layer=1, n_embd=128)
    runs = {
        n: subprocess.Popen([sys.executable, "-c", _PROBE, str(n), str(ckpt), str(tmp_path / str(n))],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, **_ALLOCATOR_ENV})
        for n in (1024, 4096)
    }
    growth = {}
    for n, proc in runs.items():
        stdout, stderr = proc.communicate(timeout=300)
        assert proc.returncode == 0, stderr
        growth[n] = int(stdout.split()[-1])
    assert 0 < growth[4096] < 1.3 * growth[1024], f"peak RSS growth (KiB) by N: {growth}"
