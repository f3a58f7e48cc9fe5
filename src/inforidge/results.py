"""Public API for the tidy result tables in ``results/tables/``.

>>> from inforidge import results
>>> mi = results.load("mi")                      # pandas DataFrame, schema-checked
>>> results.ridge_layers(mi).head()              # argmax layer of mean MI per checkpoint

Column-by-column documentation: docs/results.md.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from inforidge.tables.tidy import META_TABLE, META_VERSION, SCHEMA_VERSION, TABLES, table_schema

__all__ = ["TABLES", "available", "load", "mean_mi", "read_table", "ridge_layers", "table_path"]


def table_path(table: str, results_dir: str | Path = "results") -> Path:
    """Where table ``table`` lives under ``results_dir`` (ValueError for an unknown name)."""
    table_schema(table)
    return Path(results_dir) / "tables" / f"{table}.parquet"


def available(results_dir: str | Path = "results") -> list[str]:
    """Names of the known tables that exist under ``results_dir``."""
    return [name for name in TABLES if table_path(name, results_dir).exists()]


def load(table: str, results_dir: str | Path = "results") -> pd.DataFrame:
    """Load one tidy table as a DataFrame.

    Raises ValueError for an unknown table name or a file written with another schema
    version (rerun the workflow to rebuild it), FileNotFoundError naming the missing file.
    """
    return read_table(table_path(table, results_dir), table)


def read_table(path: str | Path, table: str) -> pd.DataFrame:
    """Read the file ``path`` as table ``table``, checking its name and schema version."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"table {table!r} not found: {path} (run the workflow to build it)")
    try:
        data = pq.read_table(path)
    except (OSError, pa.ArrowException) as err:
        raise ValueError(f"table {table!r}: cannot read {path}: {err}") from None
    meta = data.schema.metadata or {}
    found, version = meta.get(META_TABLE, b"?").decode(), meta.get(META_VERSION, b"?").decode()
    if found != table:
        raise ValueError(f"{path} holds table {found!r}, expected {table!r}")
    if version != SCHEMA_VERSION:
        raise ValueError(
            f"{path} has schema version {version}, this inforidge reads version {SCHEMA_VERSION}; "
            "rerun the workflow to rebuild the table"
        )
    return data.to_pandas()


def mean_mi(mi: pd.DataFrame, *, quantity: str = "mi", value: str = "mi") -> pd.DataFrame:
    """Mean and standard deviation over subsample seeds of ``value`` for one ``quantity``.

    One row per (run keys, step, split, kernel, site, layer) with columns ``mean``,
    ``std`` and ``seeds`` (how many subsample seeds were averaged).
    """
    keys = [c for c in TABLES["mi"].names if c not in
            ("quantity", "sample_seed", "n", "mi", "null_mean", "null_std", "mi_excess", "mi_z", "p_value",
             "h_z", "h_y", "h_joint", "data_split")]
    rows = mi[mi["quantity"] == quantity]
    return (rows.groupby(keys, sort=True, dropna=False)[value]
            .agg(mean="mean", std="std", seeds="count").reset_index())


def ridge_layers(mi: pd.DataFrame, *, value: str = "mi") -> pd.DataFrame:
    """The argmax layer per checkpoint of the seed-mean of ``value``: descriptive, not a test.

    The pipeline's ridges come from the ridge test (the ``ridge`` table's ``verdict``,
    :mod:`inforidge.mi.ridgetest`); an argmax of raw ``mi`` can be moved by layer geometry alone.

    One row per (run keys, step, split, kernel, site, estimator settings) with
    ``ridge_layer`` and the MI there (``ridge_mi``). Ties go to the lower layer.
    """
    means = mean_mi(mi, value=value)
    group = [c for c in means.columns if c not in ("layer", "mean", "std", "seeds")]
    best = means.loc[means.groupby(group, sort=True, dropna=False)["mean"].idxmax()]
    return best.rename(columns={"layer": "ridge_layer", "mean": "ridge_mi"}).drop(columns=["std", "seeds"]) \
        .reset_index(drop=True)
