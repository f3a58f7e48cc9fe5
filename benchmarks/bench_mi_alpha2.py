"""Benchmark: α = 2 by the exact trace path vs α = 1 (and α = 2) by eigenvalues.

One layer against one target, Gaussian kernel σ = 1, ℓ2 rows, float64, d = 64, with a
permutation null of P shuffles (the part that dominates the stage: one joint entropy per
shuffle). "eigen" computes every entropy from ``eigvalsh`` spectra (what α = 1 must do);
"trace" is S₂ = −log₂ Σᵢⱼ A²ᵢⱼ on the same matrices. The α = 2 values of both paths are
compared (max |diff| in bits).

    python benchmarks/bench_mi_alpha2.py --sizes 256 512 1024 2048 --permutations 20
"""

from __future__ import annotations

import argparse
import platform
import time

import numpy as np
import torch

from inforidge.mi import EstimatorSettings, permutation_null
from inforidge.mi import estimators, spectra


def eigen_alpha2(z: np.ndarray, y: np.ndarray, permutations: int) -> float:
    """Raw α = 2 MI and its null from eigenvalues (the general path forced on α = 2)."""
    s = EstimatorSettings(alpha=1.0)  # α = 1 settings keep the spectra
    a, b = estimators._sides(z, y, s, ("z", "y"))
    ent = lambda lam: spectra.renyi_entropy(lam, 2.0)  # noqa: E731
    h = ent(a.eigenvalues) + ent(b.eigenvalues)
    raw = float(h - ent(estimators.joint_spectrum(a, b, torch.float64)))
    rng = np.random.default_rng(0)
    for _ in range(permutations):
        p = torch.as_tensor(rng.permutation(len(z)))
        ent(estimators.joint_spectrum(a, estimators.permuted(b, p), torch.float64))
    return raw


def timed(fn, repeats: int) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[256, 512, 1024, 2048])
    parser.add_argument("--permutations", type=int, default=20)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"{platform.processor() or platform.machine()}, torch {torch.__version__}, {args.threads} thread(s), "
          f"P = {args.permutations}, d = 64\n")
    print("| N | α=1 eigen s | α=2 eigen s | α=2 trace s | speed-up vs α=1 | vs α=2 eigen | max |diff| bits |")
    print("|---|---|---|---|---|---|---|")
    for n in args.sizes:
        rng = np.random.default_rng(n)
        y = rng.normal(size=(n, 64))
        z = 0.5 * y + rng.normal(size=(n, 64))
        repeats = 3 if n <= 1024 else 1
        t1, _ = timed(lambda: permutation_null(z, y, alpha=1.0, permutations=args.permutations), repeats)
        t2e, raw_e = timed(lambda: eigen_alpha2(z, y, args.permutations), repeats)
        t2t, res = timed(lambda: permutation_null(z, y, alpha=2.0, permutations=args.permutations), repeats)
        diff = abs(res.raw - raw_e)
        print(f"| {n} | {t1:.3f} | {t2e:.3f} | {t2t:.4f} | {t1 / t2t:.0f}× | {t2e / t2t:.0f}× | {diff:.1e} |")


if __name__ == "__main__":
    main()
