"""The ridge test's false-ridge rate on geometry-only nulls and its power on planted ridges (issue 25).

Synthetic layer stacks with known information go through the pipeline's own path: the MI
stage's settings and sampling (:func:`inforidge.mi.stage.estimator_settings`, ``sampling_of``),
:func:`~inforidge.mi.layerwise.layerwise_mi`, the ``mi`` table schema, and
:func:`inforidge.tables.ridge.ridge_table`, whose ``verdict`` is counted.

Stack: C = 13 balanced classes; Y = the class's embedding (16-d Gaussian); L + 1 = 7 layers,
Z_l = s·M[class] + noise_l (16-d; the class means M shared, the noise drawn per layer), so
all layers are exchangeable and carry equal information, set by s. Nulls (Shannon information equal at every layer):
``exchangeable``; ``offset`` (a common vector of norm 3, 10, 30 noise sd added to layers 4, 5, 6,
as residual streams grow); ``stretch5`` / ``stretch20`` (two coordinates of the last layer
×5 / ×20); ``rotation`` (a random rotation per layer). Planted ridges: ``garble q`` permutes the
last layer's states among a fraction q of the rows (the same points, strictly less information);
its gap in bits is measured as the mean over replicates and interior layers of I_l − I_L.

    python benchmarks/bench_ridge_test.py --reps 200 --rows 512 --seeds 8 --normalize whiten
"""

from __future__ import annotations

import argparse
import math
import time
from typing import Callable

import numpy as np
import pandas as pd
import torch

from inforidge.config import MIConfig
from inforidge.mi import geometry
from inforidge.mi.layerwise import layerwise_mi
from inforidge.mi.stage import estimator_settings, sampling_of, with_settings
from inforidge.tables.ridge import ridge_table
from inforidge.tables.tidy import conform

C, D, D_Y, LAYERS = 13, 16, 16, 7


def stack(rng: np.random.Generator, rows: int, signal: float) -> tuple[list[np.ndarray], np.ndarray]:
    """Exchangeable layers (rows, D) each and the targets (rows, D_Y).

    The class means are shared by all layers and only the noise is per layer: class means drawn
    per layer would give each layer its own true information (a real, if random, ridge).
    """
    labels = rng.permutation(np.arange(rows) % C)
    y = rng.normal(size=(C, D_Y))[labels]
    means = signal * rng.normal(size=(C, D))[labels]  # (rows, D)
    return [means + rng.normal(size=(rows, D)) for _ in range(LAYERS)], y


def offset(zs: list[np.ndarray], rng: np.random.Generator) -> list[np.ndarray]:
    v = rng.normal(size=D)
    v /= np.linalg.norm(v)
    return zs[:4] + [z + c * v for z, c in zip(zs[4:], (3.0, 10.0, 30.0))]


def stretch(factor: float) -> Callable[[list[np.ndarray], np.random.Generator], list[np.ndarray]]:
    return lambda zs, rng: zs[:-1] + [zs[-1] * np.r_[factor, factor, np.ones(D - 2)]]


def rotation(zs: list[np.ndarray], rng: np.random.Generator) -> list[np.ndarray]:
    return [z @ np.linalg.qr(rng.normal(size=(D, D)))[0] for z in zs]


def garble(q: float) -> Callable[[list[np.ndarray], np.random.Generator], list[np.ndarray]]:
    def apply(zs: list[np.ndarray], rng: np.random.Generator) -> list[np.ndarray]:
        last = zs[-1].copy()
        idx = rng.choice(len(last), size=int(round(q * len(last))), replace=False)
        last[idx] = last[rng.permutation(idx)]
        return zs[:-1] + [last]
    return apply


NULLS = {"exchangeable": lambda zs, rng: zs, "offset": offset, "stretch5": stretch(5.0),
         "stretch20": stretch(20.0), "rotation": rotation}


def mi_rows(zs: list[np.ndarray], y: np.ndarray, mi: MIConfig, rep: int) -> pd.DataFrame:
    """One synthetic checkpoint's rows of the ``mi`` table, built as the MI stage builds them."""
    (settings,) = estimator_settings(mi)
    frame = layerwise_mi(zs, y, settings, sampling=sampling_of(mi), increments=False, device="cpu")
    frame = with_settings(frame, settings, mi).rename(columns={"seed": "sample_seed"})
    keys = {"run": "bench", "model": "synthetic", "task": "synthetic", "seed": 0, "n_layer": LAYERS - 1,
            "step": rep, "split": "ood", "data_split": "synthetic", "site": "resid_post", "n_requested": 0}
    return frame.assign(**keys)


def condition(name: str, transform, args: argparse.Namespace, signal: float) -> dict[str, object]:
    """Replicates of one condition through ridge_table: the ridge rate and the measured gap."""
    mi = MIConfig(normalize=None if args.normalize == "none" else args.normalize, n_samples=None,
                  seeds=list(range(args.seeds)), permutations=args.permutations)
    start = time.perf_counter()
    parts = []
    for rep in range(args.reps):
        # The same stacks in every condition (a null differs from `exchangeable` only by its transform).
        zs, y = stack(np.random.default_rng([args.seed, rep]), args.rows, signal)
        parts.append(mi_rows(transform(zs, np.random.default_rng([args.seed, rep, 1])), y, mi, rep))
    table = conform(pd.concat(parts, ignore_index=True), "mi")
    ridge = ridge_table(table)
    seconds = time.perf_counter() - start
    out: dict[str, object] = {"condition": name, "signal": signal, "seconds": seconds}
    for value, rows in ridge.groupby("value"):
        rate = float((rows["verdict"] == "ridge").mean())
        wide = table.pivot_table(index=["step", "sample_seed"], columns="layer", values=value)
        gaps = wide.iloc[:, 1:-1].sub(wide.iloc[:, -1], axis=0)  # (reps × seeds, interior layers)
        level = wide.iloc[:, 1:-1].to_numpy().mean()
        half = 1.96 * math.sqrt(max(rate * (1 - rate), 1 / args.reps) / args.reps)
        out[value] = (rate, max(0.0, rate - half), min(1.0, rate + half), float(gaps.to_numpy().mean()), level,
                      int(rows["n"].iloc[0]))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reps", type=int, default=200)
    parser.add_argument("--rows", type=int, default=512)
    parser.add_argument("--seeds", type=int, default=8, help="disjoint subsamples K")
    parser.add_argument("--permutations", type=int, default=0)
    parser.add_argument("--normalize", default="whiten", choices=["whiten", "l2", "none"])
    parser.add_argument("--signals", type=float, nargs="+", default=[0.35])
    parser.add_argument("--garble", type=float, nargs="*", default=[0.2, 0.4, 0.6, 0.8])
    parser.add_argument("--nulls", nargs="*", default=list(NULLS))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--width", type=int, default=16, help="layer width d (> rows/seeds/4: whitening's rank cap binds)")
    parser.add_argument("--rank-divisor", type=int, default=geometry.RANK_DIVISOR,
                        help="whitening keeps at most n // this many directions (to study the cap)")
    args = parser.parse_args()
    geometry.RANK_DIVISOR = args.rank_divisor
    global D
    D = args.width
    torch.set_num_threads(1)
    print(f"rows {args.rows}, K = {args.seeds} disjoint subsamples, width {D}, rank cap n // {args.rank_divisor}, "
          f"P = {args.permutations}, "
          f"normalize {args.normalize}, {args.reps} replicates per condition")
    print("condition | signal | value | ridge rate [95% CI] | mean gap I_l − I_L (bits) | interior I (bits) | n | s")
    conditions = [(n, NULLS[n]) for n in args.nulls] + [(f"garble {q}", garble(q)) for q in args.garble]
    for signal in args.signals:
        for name, transform in conditions:
            out = condition(name, transform, args, signal)
            for value in ("mi_excess", "mi"):
                if value in out:
                    rate, lo, hi, gap, level, n = out[value]  # type: ignore[misc]
                    print(f"{name} | {signal} | {value} | {rate:.3f} [{lo:.3f}, {hi:.3f}] | {gap:+.4f} | "
                          f"{level:.4f} | {n} | {out['seconds']:.0f}", flush=True)


if __name__ == "__main__":
    main()
