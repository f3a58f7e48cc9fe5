"""The run record: a run's key columns, written once per run (``results/runs/{run}/run.json``).

Every table starts with the run keys (``run, model, task, seed, n_layer``:
:data:`inforidge.tables.schema.RUN_KEYS`). Most come from the config, but ``n_layer`` is the
depth the model actually loaded with (a pretrained model's own, not the scratch default of
``model.n_layer``), read from the ``config.json`` of the run's first checkpoint. The local rule
``run_record`` resolves them once per run and the table jobs read the records, so no table job
re-reads a checkpoint and every table holds the same keys for a run (docs/results.md).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from inforidge.config import ModelConfig, RunConfig
from inforidge.core.atomic import temp_sibling
from inforidge.tables.schema import RUN_KEYS

RunRecord = dict[str, Any]
"""One run's key columns: ``run, model, task, seed, n_layer`` (:data:`RUN_KEYS`), in that order."""


def model_label(model: ModelConfig) -> str:
    """Short model name: the hub id / path, family + size for scratch models, ``series`` for a
    local series, ``run@step`` for a run started from another run's checkpoint."""
    if model.source == "run":
        return f"{model.run}@step-{model.step}"
    if model.source != "scratch":
        return str(model.name_or_path or model.source)
    return f"{model.architecture}-L{model.n_layer}-d{model.n_embd}"


def run_keys(name: str, run: RunConfig) -> RunRecord:
    """The key columns of run ``name`` as its config states them (``n_layer``: the configured depth).

    The workflow's tables use :func:`run_record` instead, whose depth is the loaded model's.
    """
    return {"run": name, "model": model_label(run.model), "task": run.task, "seed": run.seed,
            "n_layer": run.model.n_layer}


def checkpoint_depth(checkpoint: str | Path) -> int:
    """Blocks L of a saved model, from its ``config.json`` (torch-free; every HF family's key)."""
    path = Path(checkpoint) / "config.json"
    try:
        config = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as err:
        raise ValueError(f"cannot read the model config {path}: {err}") from None
    config = config.get("text_config", config)  # multimodal configs nest the language model's
    for key in ("num_hidden_layers", "n_layer", "num_layers", "n_layers"):
        if isinstance(config.get(key), int):
            return config[key]
    raise ValueError(f"{path}: no layer count (num_hidden_layers / n_layer / num_layers)")


def run_record(name: str, run: RunConfig, first_checkpoint: str | Path) -> RunRecord:
    """The key columns of run ``name``, with ``n_layer`` the depth of its ``first_checkpoint``'s model."""
    depth = checkpoint_depth(first_checkpoint)
    return run_keys(name, replace(run, model=replace(run.model, n_layer=depth)))


def write_run_record(record: RunRecord, path: str | Path) -> None:
    """Write ``record`` to ``path`` as JSON, atomically (temp file + rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_sibling(path)
    tmp.write_text(json.dumps(record, indent=1) + "\n")
    tmp.replace(path)


def read_run_records(paths: Sequence[str | Path]) -> dict[str, RunRecord]:
    """Run name -> record of every ``run.json`` in ``paths``; ValueError naming a bad or repeated file."""
    records: dict[str, RunRecord] = {}
    for path in paths:
        try:
            record = json.loads(Path(path).read_text())
        except (OSError, json.JSONDecodeError) as err:
            raise ValueError(f"cannot read the run record {path}: {err}") from None
        if not isinstance(record, dict) or list(record) != list(RUN_KEYS):
            raise ValueError(f"run record {path}: expected the keys {list(RUN_KEYS)}, got "
                             f"{list(record) if isinstance(record, dict) else type(record).__name__}")
        if record["run"] in records:
            raise ValueError(f"run record {path}: run {record['run']!r} already has a record")
        records[record["run"]] = record
    return records


def config_records(runs: Mapping[str, RunConfig]) -> dict[str, RunRecord]:
    """Run name -> record as the config states it (:func:`run_keys`): for tables built outside the
    workflow (tests, notebooks) from scratch models, whose configured depth is the loaded one."""
    return {name: run_keys(name, run) for name, run in runs.items()}
