"""Loading real datasets through ``datasets``, by hub id or from local files.

A local path (file or directory) is read with the matching generic builder
(``load_dataset("json" | "csv" | "parquet", data_files=...)``); anything else is a hub
id, loaded at ``revision`` (branch, tag or commit). Script datasets (CLUTRR/v1), which
the pinned ``datasets`` refuses to run, load from the hub's automatic Parquet export:
the ``refs/convert/parquet`` branch, where each configuration is a folder
``<config>/<split>/NNNN.parquet``, so the configuration becomes ``data_dir``. All source
splits are pooled: tasks define their own ID/OOD splits, so the dataset's train/test
division is kept only as the ``source_split`` metadata column.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from inforidge.core.hub import hub_source

PARQUET_EXPORT = "refs/convert/parquet"
LOCAL_FORMATS = {".jsonl": "json", ".json": "json", ".csv": "csv", ".parquet": "parquet"}


def local_files(dataset: str) -> list[Path] | None:
    """The data files ``dataset`` names on disk, or None when it is a hub id.

    Raises FileNotFoundError when ``dataset`` looks like a path (a known suffix or a
    path separator at the start) but does not exist, so typos never reach the hub.
    """
    path = Path(dataset)
    if path.is_dir():
        files = sorted(f for f in path.iterdir() if f.suffix in LOCAL_FORMATS)
        if not files:
            raise FileNotFoundError(f"dataset directory {dataset} holds no {'/'.join(LOCAL_FORMATS)} files")
        return files
    if path.is_file():
        return [path]
    if path.suffix in LOCAL_FORMATS or dataset.startswith((".", "/", "~")):
        raise FileNotFoundError(f"dataset file {dataset} does not exist")
    return None


def hub_arguments(dataset: str, config: str | None, revision: str | None) -> dict:
    """``load_dataset`` keyword arguments for hub dataset ``dataset``."""
    if revision == PARQUET_EXPORT:
        return {"path": dataset, "data_dir": config, "revision": revision}
    return {"path": dataset, "name": config, "revision": revision}


def load_table(dataset: str, config: str | None = None, revision: str | None = None) -> pd.DataFrame:
    """Every row of ``dataset`` (all splits, in split-name order) with a ``source_split`` column."""
    from datasets import load_dataset  # heavy import, only when data is actually built

    files = local_files(dataset)
    if files is None:
        with hub_source("dataset", dataset if config is None else f"{dataset} ({config})", revision):
            loaded = load_dataset(**hub_arguments(dataset, config, revision))
    else:
        formats = {LOCAL_FORMATS[f.suffix] for f in files}
        if len(formats) > 1:
            raise ValueError(f"dataset {dataset} mixes file formats {sorted(formats)}; use one format")
        loaded = load_dataset(formats.pop(), data_files=[str(f) for f in files])
    frames = [loaded[name].to_pandas().assign(source_split=name) for name in sorted(loaded)]
    return pd.concat(frames, ignore_index=True)


def require_columns(frame: pd.DataFrame, columns: list[str], dataset: str) -> None:
    """Raise a ValueError naming the dataset and the missing columns."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"dataset {dataset} lacks columns {missing} (has: {sorted(frame.columns)})")
