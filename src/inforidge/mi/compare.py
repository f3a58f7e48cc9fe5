"""Pure read-outs of an MI frame: paired layer differences, the ridge statistic and its test.

They work on the ``mi`` table (seed column ``sample_seed``) or a per-job frame (``seed``):
rows are grouped by every estimate key present (run, step, split, kernel, sigma, site,
quantity, ...), so different settings never mix. ``value`` picks the column compared —
``mi`` (raw), ``mi_excess`` (excess over the null) or a probe's metric.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Optional

import numpy as np
import pandas as pd

from inforidge.mi.ridgetest import peak_test, ridge_test

#: Columns that identify one layer curve, when present (everything but layer and seed).
CURVE_KEYS = ("run", "model", "task", "seed", "n_layer", "step", "split", "data_split", "kernel", "bandwidth_rule",
              "sigma", "alpha", "normalize", "base", "site", "quantity", "t")


def curve_keys(frame: pd.DataFrame, seed: str) -> list[str]:
    """The :data:`CURVE_KEYS` present in ``frame``, minus the resampling ``seed`` column."""
    return [c for c in CURVE_KEYS if c in frame.columns and c != seed]


def t_quantile(q: float, df: int) -> float:
    """Quantile ``q`` (0.5 < q < 1) of Student's t with ``df`` degrees of freedom (no scipy: bisection on the CDF)."""
    if not 0.5 < q < 1 or df < 1:
        raise ValueError(f"need 0.5 < q < 1 and df >= 1, got q={q}, df={df}")
    log_norm = math.lgamma((df + 1) / 2) - math.lgamma(df / 2) - 0.5 * math.log(df * math.pi)

    def cdf(x: float) -> float:  # Simpson's rule on the density from 0 to x (x >= 0)
        grid = np.linspace(0.0, x, 4001)
        pdf = np.exp(log_norm - (df + 1) / 2 * np.log1p(grid**2 / df))
        h = grid[1] - grid[0]
        return 0.5 + h / 3 * (pdf[0] + pdf[-1] + 4 * pdf[1:-1:2].sum() + 2 * pdf[2:-1:2].sum())

    lo, hi = 0.0, 1.0
    while cdf(hi) < q:
        hi *= 2
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if cdf(mid) < q else (lo, mid)
    return (lo + hi) / 2


def paired_layer_differences(frame: pd.DataFrame, *, value: str = "mi", seed: str = "sample_seed",
                             pairs: Optional[Sequence[tuple[int, int]]] = None, level: float = 0.95) -> pd.DataFrame:
    """value(layer_a) − value(layer_b), paired by ``seed``, with a t-interval over seeds.

    ``pairs`` defaults to every layer against the last layer of its curve. Per curve and
    pair: ``mean_diff`` and ``std_diff`` (ddof 1) over the seeds present at both layers,
    ``seeds``, and the ``level`` interval ``ci_low``/``ci_high`` = mean ± t·std/√seeds
    (NaN with one seed). Pairing removes what the two layers share on one subsample (the
    target sample, the shuffles); with ``resampling: disjoint`` seeds are independent, so
    the interval is a valid one for the mean difference.
    """
    keys = curve_keys(frame, seed)
    out = []
    for key, curve in frame.groupby(keys, sort=True, dropna=False) if keys else [((), frame)]:
        wide = curve.pivot_table(index=seed, columns="layer", values=value, aggfunc="first")  # (seeds, layers)
        layer_pairs = pairs if pairs is not None else [(l, int(wide.columns.max())) for l in wide.columns]
        for a, b in layer_pairs:
            if a not in wide.columns or b not in wide.columns:
                continue
            diff = (wide[a] - wide[b]).dropna().to_numpy()
            k = len(diff)
            std = float(diff.std(ddof=1)) if k > 1 else math.nan
            half = t_quantile(0.5 + level / 2, k - 1) * std / math.sqrt(k) if k > 1 else math.nan
            mean = float(diff.mean()) if k else math.nan
            row = dict(zip(keys, key if isinstance(key, tuple) else (key,)))
            out.append({**row, "value": value, "layer_a": int(a), "layer_b": int(b), "mean_diff": mean,
                        "std_diff": std, "seeds": k, "ci_low": mean - half, "ci_high": mean + half})
    return pd.DataFrame(out)


def ridge_statistic(frame: pd.DataFrame, *, value: str = "mi", seed: str = "sample_seed",
                    level: float = 0.05) -> pd.DataFrame:
    """The ridge of every layer curve: its test against the last layer, and the descriptive argmax.

    Per curve (one row), the test (:func:`~inforidge.mi.ridgetest.ridge_test` on the seeds
    present at every layer): ``verdict`` (``ridge`` / ``no ridge`` / ``untestable``),
    ``tested_layer``, ``gap`` = mean value(tested_layer) − value(last), its simultaneous
    ``gap_ci_low``/``gap_ci_high``, ``p_adjusted`` (family-wise over ``layers_tested``
    interior layers), ``flips``, ``level``; the peak test (:func:`~inforidge.mi.ridgetest.peak_test`:
    is the argmax above every other layer?): ``peak_verdict``, ``peak_layer``, ``peak_rival``, ``peak_gap`` with
    its ``peak_gap_ci_low``/``peak_gap_ci_high`` and ``peak_p``; and, when the frame has them, the rows per
    subsample really used (``n``, the smallest over the curve), the rows asked for
    (``n_requested``) and the shuffles (``permutations``). Descriptive, not a test: ``ridge_layer`` = argmax over layers of
    the seed-mean (lowest layer on ties); the per-seed argmax layers' ``ridge_layer_mean`` and
    ``ridge_layer_std`` (ddof 1); ``interior_fraction`` = share of seeds whose argmax lies
    strictly inside the stack; ``first_layer``, ``last_layer``, ``ridge_position`` =
    (ridge_layer − first) / (last − first), and ``seeds``.
    """
    keys = curve_keys(frame, seed)
    out = []
    for key, curve in frame.groupby(keys, sort=True, dropna=False) if keys else [((), frame)]:
        wide = curve.pivot_table(index=seed, columns="layer", values=value, aggfunc="first").sort_index(axis=1)
        layers = wide.columns.to_numpy()
        first, last = int(layers.min()), int(layers.max())
        per_seed = layers[np.nanargmax(wide.to_numpy(), axis=1)]  # (seeds,)
        ridge = int(layers[int(np.nanargmax(wide.mean(axis=0).to_numpy()))])
        complete = wide.dropna().to_numpy()  # seeds present at every layer: both tests pair them
        test, peak = ridge_test(complete, level=level), peak_test(complete, level=level)
        row = dict(zip(keys, key if isinstance(key, tuple) else (key,)))
        row.update({c: int(curve[c].min()) for c in ("n", "n_requested", "permutations") if c in curve.columns})
        out.append({**row, "value": value, "verdict": test.verdict,
                    "tested_layer": int(layers[test.tested_layer]) if test.tested_layer >= 0 else -1,
                    "gap": test.gap, "gap_ci_low": test.gap_ci_low, "gap_ci_high": test.gap_ci_high,
                    "p_adjusted": test.p_adjusted, "layers_tested": test.layers_tested, "flips": test.flips,
                    "level": level, "peak_verdict": peak.verdict,
                    "peak_layer": int(layers[peak.layer]) if peak.layer >= 0 else -1,
                    "peak_rival": int(layers[peak.runner_up]) if peak.runner_up >= 0 else -1,
                    "peak_gap": peak.gap, "peak_gap_ci_low": peak.gap_ci_low, "peak_gap_ci_high": peak.gap_ci_high,
                    "peak_p": peak.p_adjusted, "ridge_layer": ridge,
                    "ridge_layer_mean": float(per_seed.mean()),
                    "ridge_layer_std": float(per_seed.std(ddof=1)) if len(per_seed) > 1 else math.nan,
                    "interior_fraction": float(((per_seed > first) & (per_seed < last)).mean()),
                    "first_layer": first, "last_layer": last,
                    "ridge_position": (ridge - first) / (last - first) if last > first else math.nan,
                    "seeds": len(per_seed)})
    return pd.DataFrame(out)
