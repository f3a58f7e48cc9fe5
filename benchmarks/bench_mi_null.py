"""How many permutations: the precision of the null's spread and the p-value floor against cost.

A layer-like Z (N × 64) weakly dependent on a continuous Y (N × 64), Gaussian kernel σ = 1,
ℓ2 rows, α = 1 — the stage's default estimate. ``--pool`` shuffles give the reference null;
for each P, the null standard deviation is estimated from disjoint groups of P of those shuffles
and its relative error (sd over groups / reference) reported, with the smallest p-value
1/(1 + P) and the time of one ``permutation_null`` call with P shuffles (Gram matrices included).

    python benchmarks/bench_mi_null.py --n 256 --pool 400
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from inforidge.mi import permutation_null


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=256)
    parser.add_argument("--pool", type=int, default=400)
    parser.add_argument("--ps", type=int, nargs="+", default=[5, 10, 20, 50, 100])
    args = parser.parse_args()
    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    y = rng.normal(size=(args.n, 64))
    z = 0.3 * y + rng.normal(size=(args.n, 64))
    values = []
    # One shuffle per call keeps each value: permutation_null's seed s gives shuffle s.
    for s in range(args.pool):
        values.append(permutation_null(z, y, permutations=1, seed=s).null_mean)
    values = np.array(values)
    ref = values.std(ddof=1)
    raw = permutation_null(z, y, permutations=1).raw
    print(f"N = {args.n}, raw {raw:.4f} bits, reference null {values.mean():.4f} ± {ref:.4f} bits "
          f"({args.pool} shuffles)\n")
    print("| P | rel. error of null_std | theory 1/sqrt(2(P−1)) | min p-value | z of raw | s per estimate |")
    print("|---|---|---|---|---|---|")
    for p in args.ps:
        groups = values[: (args.pool // p) * p].reshape(-1, p)
        stds = groups.std(axis=1, ddof=1)
        rel = stds.std(ddof=1) / ref
        z_raw = (raw - values.mean()) / ref
        start = time.perf_counter()
        permutation_null(z, y, permutations=p)
        seconds = time.perf_counter() - start
        print(f"| {p} | {rel:.2f} | {1 / np.sqrt(2 * (p - 1)):.2f} | {1 / (1 + p):.3f} | {z_raw:.1f} | {seconds:.3f} |")


if __name__ == "__main__":
    main()
