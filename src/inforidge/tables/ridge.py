"""The ``ridge`` and ``mi_paired`` tables, derived from the ``mi`` table (docs/results.md, docs/mi.md).

Both read the I(Z_l; Y) curves (``quantity == "mi"``) of every (run, step, split, site,
kernel, σ, preprocessing) with more than one layer, once for ``mi_excess`` (the excess over the
permutation null) when the table has a null, and once for the raw ``mi``. The ridge table's
verdict is the ridge test of :mod:`inforidge.mi.ridgetest`; only ``normalize == "whiten"``
curves are immune to layer geometry (docs/mi.md, "Invariances").
"""

from __future__ import annotations

import pandas as pd

from inforidge.mi.compare import paired_layer_differences, ridge_statistic
from inforidge.tables.tidy import conform

#: mi-table columns compared, the quantity that survives the null first.
VALUES = ("mi_excess", "mi")


def _curves(mi: pd.DataFrame) -> pd.DataFrame:
    """The I(Z_l; Y) rows of curves with at least two layers (a one-layer site has no ridge)."""
    # One alpha and base per config; data_split is one-to-one with split.
    rows = mi[mi["quantity"] == "mi"].drop(columns=["quantity", "data_split", "alpha", "base"])
    # dropna=False: sigma is NaN for a bandwidth rule (and kernels without one), still a curve key.
    keys = ["run", "step", "split", "site", "kernel", "bandwidth_rule", "sigma", "normalize"]
    layers = rows.groupby(keys, dropna=False)["layer"].transform("nunique")
    return rows[layers > 1]


def _values(rows: pd.DataFrame) -> list[str]:
    """The compared columns this table can give: ``mi_excess`` only when the permutation null ran."""
    return [v for v in VALUES if rows[v].notna().any()]


def ridge_table(mi: pd.DataFrame) -> pd.DataFrame:
    """One row per curve and compared column: :func:`~inforidge.mi.compare.ridge_statistic` (test and argmax)."""
    rows = _curves(mi)
    frames = [ridge_statistic(rows.dropna(subset=[v]), value=v) for v in _values(rows)]
    return conform(pd.concat(frames, ignore_index=True), "ridge")


def paired_table(mi: pd.DataFrame) -> pd.DataFrame:
    """Every layer minus the curve's last layer, paired by seed (the last layer against itself left out)."""
    rows = _curves(mi)
    frames = [paired_layer_differences(rows.dropna(subset=[v]), value=v) for v in _values(rows)]
    pairs = pd.concat(frames, ignore_index=True)
    return conform(pairs[pairs["layer_a"] != pairs["layer_b"]], "mi_paired")
