"""Model capacity: MI curves and the ridge position across model depths, from the ``mi`` table only.

Runs of different depth L are compared on relative depth l / L. Per (run, step, split,
kernel, σ, preprocessing, site) the ridge layer comes from the ridge test
(:mod:`inforidge.mi.ridgetest`, on ``mi_excess`` when the null ran, else on raw ``mi``): the
tested layer where it finds a ridge, else L. The ridge position is ridge_layer / L: 1 means no
interior layer was shown to hold more than the last block; below 1, one was, at family-wise 5 %.
"""

from __future__ import annotations


import pandas as pd

from inforidge.mi.compare import ridge_statistic
from inforidge.tables.tidy import RUN_COLUMNS, TABLES

CAPACITY = TABLES["capacity"]
_RUN = tuple(c for c in RUN_COLUMNS if c.name != "n_layer")

_GROUP = ["run", "step", "split", "kernel", "bandwidth_rule", "sigma", "normalize", "site"]


def _tested_ridges(rows: pd.DataFrame) -> pd.DataFrame:
    """Per curve of ``rows`` (:data:`_GROUP`): the ridge test's ``ridge_layer`` (L when no ridge), its value,
    verdict and adjusted p."""
    value = "mi_excess" if rows["mi_excess"].notna().any() else "mi"
    tests = ridge_statistic(rows[_GROUP + ["layer", "sample_seed", value]], value=value)
    tests["ridge_layer"] = tests["tested_layer"].where(tests["verdict"] == "ridge", tests["last_layer"])
    return tests.rename(columns={"value": "ridge_value", "verdict": "ridge_verdict", "p_adjusted": "ridge_p"})[
        _GROUP + ["ridge_layer", "ridge_value", "ridge_verdict", "ridge_p"]]


def capacity_table(mi: pd.DataFrame) -> pd.DataFrame:
    """The :data:`CAPACITY` table from the ``mi`` table (``quantity == "mi"`` rows).

    L is each run's largest layer in ``mi``; it must equal the table's ``n_layer`` (the depth
    of the model as loaded), else the activations and the model disagree. Raises ValueError
    when ``mi`` has no ``mi`` rows or the two depths differ.
    """
    rows = mi[mi["quantity"] == "mi"]
    if rows.empty:
        raise ValueError("mi table has no rows with quantity 'mi'")
    depth = rows.groupby("run")["layer"].max().rename("n_layer")
    loaded = rows.groupby("run")["n_layer"].first()
    wrong = {run: (int(loaded[run]), int(depth[run])) for run in depth.index if loaded[run] != depth[run]}
    if wrong:
        raise ValueError(f"mi table: n_layer differs from the deepest layer measured (run: (n_layer, deepest)): {wrong}")
    keys = [c.name for c in _RUN] + ["step", "split", "kernel", "bandwidth_rule", "sigma", "normalize", "site", "layer"]
    # dropna=False: sigma is NaN for a bandwidth rule, still a key (merge matches NaN keys too).
    stats = (rows.groupby(keys, sort=True, dropna=False)
             .agg(mi_mean=("mi", "mean"), mi_std=("mi", "std"), mi_excess_mean=("mi_excess", "mean"),
                  sample_seeds=("sample_seed", "nunique"))
             .reset_index()
             .join(depth, on="run"))
    stats["relative_depth"] = stats["layer"] / stats["n_layer"]
    stats = stats.merge(_tested_ridges(rows), on=_GROUP, validate="many_to_one")
    stats["ridge_position"] = stats["ridge_layer"] / stats["n_layer"]
    return stats[CAPACITY.names]
