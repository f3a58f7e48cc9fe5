"""Model capacity: MI curves and the ridge position across model depths, from the ``mi`` table only.

Runs of different depth L are compared on relative depth l / L. Per (run, step, split,
kernel, site) the ridge layer is the argmax over layers of the seed-mean MI (ties: the lower
layer) and the ridge position is ridge_layer / L: 1 means the information peaks in the last
block (no ridge), values below 1 mean it peaks earlier and falls in the final layers.
"""

from __future__ import annotations


import pandas as pd

from inforidge.tables import RUN_COLUMNS, TABLES

CAPACITY = TABLES["capacity"]
_RUN = tuple(c for c in RUN_COLUMNS if c.name != "n_layer")

_GROUP = ["run", "step", "split", "kernel", "site"]


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
    keys = [c.name for c in _RUN] + ["step", "split", "kernel", "site", "layer"]
    stats = (rows.groupby(keys, sort=True)
             .agg(mi_mean=("mi", "mean"), mi_std=("mi", "std"), mi_excess_mean=("mi_excess", "mean"),
                  sample_seeds=("sample_seed", "nunique"))
             .reset_index()
             .join(depth, on="run"))
    stats["relative_depth"] = stats["layer"] / stats["n_layer"]
    # Rows are sorted by layer within each group, so idxmax picks the lowest layer on ties.
    best = stats.loc[stats.groupby(_GROUP, sort=True)["mi_mean"].idxmax(), _GROUP + ["layer"]]
    stats = stats.merge(best.rename(columns={"layer": "ridge_layer"}), on=_GROUP, validate="many_to_one")
    stats["ridge_position"] = stats["ridge_layer"] / stats["n_layer"]
    return stats[CAPACITY.names]
