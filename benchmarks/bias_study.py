"""Bias study: raw MI and its excess over the permutation null against closed-form truth.

(Z, Y) jointly Gaussian, d dimensions per side, variance 1/d per coordinate (so E‖z‖² = 1, the
scale of the pipeline's ℓ2 rows) and corr(Z_i, Y_i) = ρ, Gaussian kernel σ = 1, no row normalization — the setting where the
population value of the matrix-based functional is known in closed form
(:mod:`inforidge.mi.gaussian_truth`, docs/mi.md "Ground truth"). For every (α, d, N) it draws
``--reps`` independent samples and reports, in bits, the truth, the mean bias of the raw
estimate, of the null mean, and of raw − null_mean (the ``mi_excess`` column), with the
standard deviation over repetitions.

    python benchmarks/bias_study.py                      # the docs/mi.md table (~1 min on one core)
    python benchmarks/bias_study.py --n 256 --dims 8 16 --reps 10 --csv bias.csv
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
import torch

from inforidge.mi import EstimatorSettings, permutation_null
from inforidge.mi.gaussian_truth import gaussian_mi


def covariance(d: int, rho: float) -> np.ndarray:
    """Joint covariance (2d, 2d) of (Z, Y): variances 1/d, corr(Z_i, Y_i) = ρ, all else 0."""
    eye = np.eye(d) / d
    return np.block([[eye, rho * eye], [rho * eye, eye]])


def one_setting(alpha: float, d: int, n: int, reps: int, rho: float, permutations: int) -> dict[str, float]:
    """Mean and spread over ``reps`` samples of raw, null mean and excess, with the truth."""
    cov = covariance(d, rho)
    truth = gaussian_mi(cov, d, 1.0, alpha)
    settings = EstimatorSettings(alpha=alpha, sigma=1.0, normalize=None)
    raw, null, excess = [], [], []
    for rep in range(reps):
        x = np.random.default_rng(1000 * d + rep).multivariate_normal(np.zeros(2 * d), cov, size=n)
        t = permutation_null(x[:, :d], x[:, d:], settings, permutations=permutations, seed=rep)
        raw.append(t.raw)
        null.append(t.null_mean)
        excess.append(t.excess)
    return {"alpha": alpha, "d": d, "n": n, "truth": truth,
            "raw_bias": float(np.mean(raw)) - truth, "raw_sd": float(np.std(raw, ddof=1)),
            "null_mean": float(np.mean(null)),
            "excess_bias": float(np.mean(excess)) - truth, "excess_sd": float(np.std(excess, ddof=1))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, nargs="+", default=[128, 256, 512, 1024])
    parser.add_argument("--dims", type=int, nargs="+", default=[1, 4, 8, 16])
    parser.add_argument("--alphas", type=float, nargs="+", default=[1.0, 2.0])
    parser.add_argument("--reps", type=int, default=4)
    parser.add_argument("--rho", type=float, default=0.8)
    parser.add_argument("--permutations", type=int, default=10)
    parser.add_argument("--csv", help="also write the rows here")
    args = parser.parse_args()
    torch.set_num_threads(1)  # one core: the machine is shared
    start = time.perf_counter()
    rows = [one_setting(a, d, n, args.reps, args.rho, args.permutations)
            for a in args.alphas for d in args.dims for n in args.n]
    frame = pd.DataFrame(rows)
    if args.csv:
        frame.to_csv(args.csv, index=False)
    print(f"ρ = {args.rho}, variance 1/d per coordinate, σ = 1, normalize = None, {args.reps} samples per row, P = {args.permutations}; bits\n")
    print("| α | d | N | truth | raw − truth | sd | null mean | (raw − null) − truth | sd |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['alpha']:g} | {r['d']} | {r['n']} | {r['truth']:.3f} | {r['raw_bias']:+.3f} | {r['raw_sd']:.3f} "
              f"| {r['null_mean']:.3f} | {r['excess_bias']:+.3f} | {r['excess_sd']:.3f} |")
    print(f"\n{time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
