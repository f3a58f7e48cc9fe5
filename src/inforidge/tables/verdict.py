"""The ``verdict`` table: every read-out's layer curve of a checkpoint, side by side, with its ridge test.

Sources are declared in :mod:`inforidge.analyses.verdictspec`. Per curve (run, checkpoint, split,
read-out, metric, site, setting), from the replicates present at every layer:

- per layer, the mean and spread over replicates, and the paired difference to the last layer
  with its own 95 % t-interval (one layer at a time, as the ``mi_paired`` table);
- once per curve, the ridge test (:func:`inforidge.mi.ridgetest.ridge_test`, the same test as the
  ``ridge`` table): with ≥ 5 replicates a verdict at family-wise 5 %, below that ``untestable``;
  a read-out with one value per layer (logit lens, ablation) gets ``no replicates`` and no interval:
  nothing here invents a spread it was not given (the test says ``no spread`` where the paired gaps
  are identical in every replicate);
- the descriptive argmax layer.

Replicates differ in kind, and the table says which: MI subsample seeds are disjoint row blocks
(independent estimates); linear-probe folds are disjoint held-out rows scored by probes whose
training rows overlap (not independent: the test is approximate); tuned-lens fit seeds refit the
same lens on the same data in another order (they measure the fit's instability, not sampling error).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

from inforidge.analyses.verdictspec import VERDICT_SOURCES, VerdictSource
from inforidge.mi.compare import t_quantile
from inforidge.mi.ridgetest import ridge_test
from inforidge.tables.tidy import RUN_KEYS, conform

#: Columns identifying one curve of the verdict table.
CURVE = (*RUN_KEYS, "step", "split", "readout", "metric", "site", "setting")
NO_REPLICATES = "no replicates"


def verdict_table(tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """The verdict table from the source tables given (by name); a source whose table is absent is skipped."""
    frames = [_source_rows(source, tables[source.table]) for source in VERDICT_SOURCES if source.table in tables]
    rows = [row for frame in frames for row in _curves(frame)]
    if not rows:
        raise ValueError(f"verdict: no layer curve with two or more layers in tables {sorted(tables)}")
    return conform(pd.DataFrame(rows), "verdict")


def _source_rows(source: VerdictSource, table: pd.DataFrame) -> pd.DataFrame:
    """One read-out's rows in long form: curve keys, layer, replicate, metric, value."""
    rows = table
    for column, wanted in source.rows.items():
        rows = rows[rows[column] == wanted]
    base = rows[[*RUN_KEYS, "step", "split", "layer"]].copy()
    base["readout"] = source.name
    base["site"] = rows[source.site] if source.site_is_column else source.site
    base["setting"] = _setting(rows, source.setting)
    base["replicate"] = rows[source.replicate] if source.replicate else 0
    base["replicate_kind"] = source.replicate_kind
    long = [base.assign(metric=metric, value=factor * rows[column].astype(float))
            for metric, (column, factor) in source.metrics.items()]
    return pd.concat(long, ignore_index=True)


def _setting(rows: pd.DataFrame, columns: tuple[str, ...]) -> pd.Series | str:
    """The setting label: MI's `kernel σ=sigma normalize`, the ablation kind, `-` for none.

    σ is numeric in the mi table (NaN under a bandwidth rule): the label names the rule then
    (`σ=median`), so curves of two rules stay apart.
    """
    if not columns:
        return "-"
    labels = rows[list(columns)].astype(str)
    if "sigma" in labels.columns:
        rule = rows["bandwidth_rule"].astype(str) if "bandwidth_rule" in rows.columns else "fixed"
        labels["sigma"] = "σ=" + labels["sigma"].where(rule == "fixed", rule)
    return labels.agg(" ".join, axis=1)


def _curves(frame: pd.DataFrame) -> list[dict]:
    out = []
    for key, curve in frame.groupby(list(CURVE), sort=True, dropna=False):
        wide = curve.pivot_table(index="replicate", columns="layer", values="value", aggfunc="first").sort_index(axis=1)
        wide = wide.dropna()  # replicates present at every layer: the test pairs them
        if wide.shape[1] < 2 or wide.empty:
            continue
        head = dict(zip(CURVE, key), replicate_kind=curve["replicate_kind"].iloc[0])
        out.extend({**head, **row} for row in curve_rows(wide, curve["replicate_kind"].iloc[0] != "none"))
    return out


def curve_rows(wide: pd.DataFrame, replicated: bool) -> list[dict]:
    """One row per layer of a curve ``wide`` (replicates × layers, sorted layers): means, paired
    differences to the last layer, and the curve's test repeated on each row."""
    values = wide.to_numpy(dtype=float)
    layers = [int(layer) for layer in wide.columns]
    k = values.shape[0]
    test = _test(values, layers) if replicated else _untested()
    mean = values.mean(axis=0)
    diffs = values - values[:, -1:]
    half = (t_quantile(0.975, k - 1) * diffs.std(axis=0, ddof=1) / math.sqrt(k) if k > 1
            else np.full(len(layers), np.nan))
    rows = []
    for i, layer in enumerate(layers):
        interval = not math.isnan(half[i]) and i < len(layers) - 1
        d = float(diffs[:, i].mean())
        rows.append({"layer": layer, "value": float(mean[i]),
                     "value_std": float(values[:, i].std(ddof=1)) if k > 1 else None, "replicates": k,
                     "diff_last": d, "diff_ci_low": d - half[i] if interval else None,
                     "diff_ci_high": d + half[i] if interval else None,
                     "best_layer": layers[int(np.argmax(mean))], "last_layer": layers[-1], **test})
    return rows


def _test(values: np.ndarray, layers: list[int]) -> dict:
    result = ridge_test(values)
    if result.verdict == "untestable":
        return {**_untested(), "verdict": "untestable"}
    return {"verdict": result.verdict, "tested_layer": layers[result.tested_layer], "gap": result.gap,
            "gap_ci_low": result.gap_ci_low, "gap_ci_high": result.gap_ci_high, "p_adjusted": result.p_adjusted}


def _untested() -> dict:
    return {"verdict": NO_REPLICATES, "tested_layer": None, "gap": None, "gap_ci_low": None, "gap_ci_high": None,
            "p_adjusted": None}
