"""Tidy result tables: one per observational unit, shared keys, a schema version.

Every table carries the run keys (run, model, task, seed, n_layer) so tables join on
them; per-checkpoint tables add ``step``; per-layer tables add ``split``, ``site`` and
``layer``. Written atomically with the schema version in the Parquet metadata.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from inforidge.atomic import temp_sibling
from inforidge.training import read_metrics

SCHEMA_VERSION = "1"
RUN_KEYS = ("run", "model", "task", "seed", "n_layer")


def model_label(model: Mapping[str, Any]) -> str:
    """Short model name: the hub id / path, or family + size for scratch models."""
    if model["source"] == "pretrained":
        return str(model["name_or_path"])
    return f"{model['architecture']}-L{model['n_layer']}-d{model['n_embd']}"


def run_keys(name: str, run: Mapping[str, Any]) -> dict[str, Any]:
    """The key columns identifying a run in every table."""
    return {"run": name, "model": model_label(run["model"]), "task": run["task"], "seed": run["seed"],
            "n_layer": run["model"]["n_layer"]}


def with_run_keys(frame: pd.DataFrame, runs: Mapping[str, Mapping[str, Any]]) -> pd.DataFrame:
    """Add model/task/seed/n_layer columns to a frame that has a ``run`` column."""
    keys = pd.DataFrame([run_keys(name, run) for name, run in runs.items()])
    merged = keys.merge(frame, on="run", how="right", validate="one_to_many")
    return merged[list(RUN_KEYS) + [c for c in frame.columns if c not in RUN_KEYS]]


def mi_table(parts: Sequence[str | Path], runs: Mapping[str, Mapping[str, Any]]) -> pd.DataFrame:
    """Concatenate per-job MI frames into the ``mi`` table."""
    frame = pd.concat([pd.read_parquet(p) for p in parts], ignore_index=True)
    return with_run_keys(frame, runs).sort_values(["run", "step", "split", "kernel", "site", "quantity", "layer", "seed"],
                                                  ignore_index=True)


def training_table(checkpoints: Sequence[str | Path], run_names: Sequence[str],
                   runs: Mapping[str, Mapping[str, Any]]) -> pd.DataFrame:
    """Per-checkpoint training metrics, long in the eval split (id / ood)."""
    rows = []
    for run, path in zip(run_names, checkpoints):
        metrics = read_metrics(Path(path))
        for role in ("id", "ood"):
            if f"{role}_accuracy" in metrics:
                rows.append({"run": run, "step": metrics["step"], "train_loss": metrics["train_loss"], "split": role,
                             "loss": metrics[f"{role}_loss"], "accuracy": metrics[f"{role}_accuracy"]})
    frame = pd.DataFrame(rows).astype({"train_loss": "float64"})
    return with_run_keys(frame, runs).sort_values(["run", "step", "split"], ignore_index=True)


def runs_table(runs: Mapping[str, Mapping[str, Any]], tasks: Mapping[str, Mapping[str, Any]]) -> pd.DataFrame:
    """One row per run with its flattened model, training and task settings."""
    rows = []
    for name, run in runs.items():
        flat = {**run_keys(name, run)}
        flat.update({f"model.{k}": v for k, v in run["model"].items()})
        flat.update({f"training.{k}": v for k, v in run["training"].items()})
        flat.update({f"task.{k}": v for k, v in tasks[run["task"]].items()})
        rows.append({k: (str(v) if isinstance(v, (list, dict)) else v) for k, v in flat.items()})
    return pd.DataFrame(rows)


def write_table(frame: pd.DataFrame, path: str | Path, name: str) -> None:
    """Write a table atomically, recording its name and schema version in the metadata."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    meta = {**(table.schema.metadata or {}), b"inforidge.table": name.encode(), b"inforidge.schema_version": SCHEMA_VERSION.encode()}
    tmp = temp_sibling(path)
    pq.write_table(table.replace_schema_metadata(meta), tmp)
    tmp.replace(path)
