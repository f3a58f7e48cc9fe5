"""Eigenvalues of symmetric matrices: the fastest exact solver for the device and size.

Every spectrum of the estimator goes through :func:`eigvalsh`; this is where the time goes.

- CUDA: ``torch.linalg.eigvalsh`` (batched, on the device).
- CPU: both LAPACKs on the pinned stack run the same algorithm (Householder tridiagonal
  reduction, then the tridiagonal eigenvalues), yet measured in one run (benchmarks/README-mi.md)
  numpy's OpenBLAS ``dsyevd`` is 1.1–3× faster than torch's MKL below N ≈ 3000 and MKL is up to
  1.4× faster above it. So N < :data:`MKL_FROM_N` goes to numpy, larger N to torch.
- CPU, small matrices (N <= :data:`SMALL_N`): single-threaded BLAS, one matrix per core in a
  thread pool (LAPACK releases the GIL). The reduction is memory-bound BLAS-2 that threads
  poorly on one small matrix; while the matrices fit in cache, independent solves scale with
  the cores instead (≈1.5–1.9× on 2 cores). One thread also avoids a hidden cost: OpenBLAS
  worker threads spin after each call and slow the estimator's next torch op by ~10 ms, more
  than a whole N = 256 solve. Larger matrices compete for memory bandwidth and are solved one
  after another with threaded BLAS, where the threads pay.

Results are exact LAPACK eigenvalues either way: the choice changes the speed, not the method.
"""

from __future__ import annotations

import functools
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import torch
from threadpoolctl import ThreadpoolController

MKL_FROM_N = 3072
"""CPU matrices this size or larger go to torch (MKL); smaller ones to numpy (OpenBLAS)."""

SMALL_N = 1024
"""CPU matrices up to this size are solved with one BLAS thread each, a batch one matrix per core."""


def eigvalsh(a: torch.Tensor) -> torch.Tensor:
    """Eigenvalues (..., N), ascending, of the symmetric matrices ``a`` (..., N, N).

    Reads the lower triangle (as ``torch.linalg.eigvalsh``); keeps ``a``'s device and dtype.
    """
    n = a.shape[-1]
    if a.device.type != "cpu" or n >= MKL_FROM_N or a.numel() == 0:
        return torch.linalg.eigvalsh(a)
    mats = a.detach().reshape(-1, n, n).numpy()  # (B, N, N), a view where a is contiguous
    values = _solve_single_threaded(mats) if n <= SMALL_N else np.linalg.eigvalsh(mats)
    return torch.from_numpy(values).reshape(a.shape[:-1])


def _solve_single_threaded(mats: np.ndarray) -> np.ndarray:
    """Eigenvalues (B, N) of ``mats`` (B, N, N), one BLAS thread per matrix, as many at a time as torch has threads."""
    workers = min(len(mats), torch.get_num_threads())
    with _blas().limit(limits=1, user_api="blas"):
        if workers == 1:
            return np.linalg.eigvalsh(mats)
        with ThreadPoolExecutor(workers) as pool:
            return np.stack(list(pool.map(np.linalg.eigvalsh, mats)))


@functools.cache
def _blas() -> ThreadpoolController:
    """The process's BLAS thread pools (found once: scanning the loaded libraries takes milliseconds)."""
    return ThreadpoolController()
