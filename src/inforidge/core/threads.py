"""Thread policy: how many threads a job's torch and BLAS/OpenMP pools may use.

Measured on a 2-core machine (docs/performance.md, benchmarks/README-threads.md): for
small models one torch thread is as fast as two, and with one competing busy process two
threads wait on each other at every barrier (a default training step went from ~80 ms to
0.6–3 s). So a model job runs single-threaded below :data:`PARALLEL_FROM_WIDTH` and lets
Snakemake fill the cores with other jobs; wider models use the threads their job declares.
No pool ever gets more than the declared threads.

The MI stage keeps its declared threads: its eigensolver (``inforidge.mi.eigensolver``)
solves small matrices one per torch thread with single-threaded BLAS, independent solves
that scale with the cores instead of meeting at barriers.

Imports nothing heavy: table and figure jobs must start fast (docs/performance.md).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

PARALLEL_FROM_WIDTH = 256
"""Models narrower than this run one torch thread whatever the job declares (measured, see module doc)."""

THREAD_ENV = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMEXPR_NUM_THREADS")


def choose_threads(declared: int, width: int | None) -> int:
    """Threads for a job that declared ``declared`` and runs a model of hidden ``width``.

    ``width`` None means no model or an unknown one: the job gets what it declared.
    """
    if declared < 1:
        raise ValueError(f"threads: a job needs at least one thread, got {declared}")
    if width is not None and width < PARALLEL_FROM_WIDTH:
        return 1
    return declared


def checkpoint_width(checkpoint: str | Path) -> int | None:
    """Hidden width from a checkpoint's config.json (``n_embd`` or ``hidden_size``); None if absent."""
    path = Path(checkpoint) / "config.json"
    if not path.is_file():
        return None
    cfg = json.loads(path.read_text())
    return cfg.get("hidden_size", cfg.get("n_embd"))


def scratch_width(model: Any) -> int | None:
    """Width of a run's model settings (a ModelConfig or its mapping) when built from scratch; else None.

    Known at plan time, so a rule's ``threads:`` can follow the policy too
    (``choose_threads(declared, scratch_width(run.model))``) and Snakemake then packs
    single-threaded jobs side by side (docs/performance.md).
    """
    get = model.get if isinstance(model, Mapping) else lambda key, default=None: getattr(model, key, default)
    return get("n_embd") if get("source", "scratch") == "scratch" else None


def job_width(inputs: Mapping[str, Any], params: Mapping[str, Any]) -> int | None:
    """Width of the model a Snakemake job runs: its checkpoint input, else its run's scratch model."""
    for key in ("checkpoint", "previous"):
        if key in inputs.keys():
            return checkpoint_width(inputs[key])
    return scratch_width(params["run"]["model"]) if "run" in params.keys() else None


def apply_threads(threads: int) -> None:
    """Cap torch's intra-op pool and every BLAS/OpenMP pool of this process at ``threads``.

    Loaded libraries are capped through threadpoolctl; the environment variables cover
    libraries a lazy import loads later; torch is only configured when already imported.
    """
    from threadpoolctl import threadpool_limits

    for name in THREAD_ENV:
        os.environ[name] = str(threads)
    threadpool_limits(limits=threads)
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(threads)
