"""Tidy tables: schemas, dtypes, key columns, atomic writes, docs in sync.

The synthetic per-job frames built here mirror what the MI, probe and read-out rules write;
the plot, results and CLI tests reuse them (``write_synthetic_tables``). Every registered
probe and read-out gets its tables from its spec: the built-in ones from hand-written frames
with telling values (the figure tests read them), any other from its declared schema
(:func:`schema_part`), so a new analysis needs no edit here.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from inforidge import cli
from inforidge.analyses.verdictspec import source_tables
from inforidge.config import RunConfig, TaskConfig, runs_from_params
from inforidge.probes.registry import PROBES
from inforidge.readouts.registry import READOUTS
from inforidge.tables import tidy as tables
from inforidge.tables.capacity import capacity_table
from inforidge.tables.ridge import paired_table, ridge_table
from inforidge.tables.runrecord import (
    RunRecord, checkpoint_depth, config_records, read_run_records, run_record, write_run_record,
)
from inforidge.tables.schema import BOOL, FLOAT, INT, RUN_KEYS, TableSchema
from inforidge.tables.tidy import TABLES, analysis_table, conform, mi_table, runs_table, write_table
from inforidge.tables.verdict import verdict_table

N_LAYER = 3
STEPS = (0, 4, 12)
SPLITS = {"id": "eval_id", "ood": "eval_ood"}


def synthetic_runs() -> dict[str, RunConfig]:
    """Typed runs, as the runs-table script builds them from the rule's params."""
    model = {"source": "scratch", "name_or_path": None, "architecture": "gpt2", "n_layer": N_LAYER, "n_embd": 32,
             "n_head": 2, "n_positions": 32}
    training = {"steps": 12, "checkpoints": list(STEPS), "batch_size": 32, "lr": 3e-3, "warmup_steps": 2, "lora": None}
    return runs_from_params({"tiny": {"task": "arithmetic", "seed": 7, "model": model, "training": training}})


def synthetic_records() -> dict[str, RunRecord]:
    """The runs' records, as the run_record rule writes them (a scratch model: its configured depth)."""
    return config_records(synthetic_runs())


def synthetic_mi_part(step: int, role: str, *, kernels=("gaussian",)) -> pd.DataFrame:
    """One MI job's frame: a ridge at layer 2 that grows with training."""
    rng = np.random.default_rng(step)
    rows = []
    for kernel in kernels:
        for site, quantity, layers in (("resid_post", "mi", range(N_LAYER + 1)), ("final_norm", "mi", [N_LAYER]),
                                       ("resid_post", "gain", range(1, N_LAYER + 1))):
            for layer in layers:
                for seed in (0, 1):
                    mi = 1.0 + step / 12 * (1.5 - abs(layer - 2)) + 0.05 * rng.standard_normal()
                    rows.append({"site": site, "quantity": quantity, "layer": layer, "sample_seed": seed, "n": 64, "mi": mi,
                                 "null_mean": 0.4, "null_std": 0.05, "mi_excess": mi - 0.4, "mi_z": (mi - 0.4) / 0.05,
                                 "p_value": 1 / 3, "h_z": 3.0, "n_requested": 64,
                                 "h_y": 2.5, "h_joint": 4.5, "kernel": kernel, "sigma": 1.0, "bandwidth_rule": "fixed", "alpha": 1.0,
                                 "normalize": "l2", "base": 2.0, "permutations": 2, "resampling": "disjoint"})
    frame = pd.DataFrame(rows)
    for key, value in {"split": role, "data_split": SPLITS[role], "step": step, "run": "tiny"}.items():
        frame.insert(0, key, value)
    return frame


def schema_part(schema: TableSchema, fixed: dict[str, object]) -> pd.DataFrame:
    """One job's frame of a table, from its declared schema: the columns the job writes (all but
    the run keys the table adds), ``fixed`` ones (run, step, ...) constant, one row per
    combination of the other sort keys (``layer`` 0..L, ``split`` id / ood, two values else)."""
    keys = {c.name: c for c in schema.columns if c.name in schema.sort and c.name not in fixed}
    levels = {name: list(range(N_LAYER + 1)) if name == "layer" else ["id", "ood"] if name == "split"
              else {INT: [0, 1], FLOAT: [0.0, 1.0], BOOL: [False, True]}.get(c.type, ["a", "b"])
              for name, c in keys.items() if name not in RUN_KEYS}
    grid = (pd.MultiIndex.from_product(list(levels.values()), names=list(levels)).to_frame(index=False)
            if levels else pd.DataFrame(index=range(1)))
    values = {INT: lambda i: i % 5 + 1, FLOAT: lambda i: 0.5 + 0.1 * (i % 7), BOOL: lambda i: i % 2 == 0}
    frame = pd.DataFrame({c.name: fixed[c.name] if c.name in fixed else grid[c.name] if c.name in levels
                          else [values.get(c.type, lambda i: f"v{i % 3}")(i) for i in range(len(grid))]
                          for c in schema.columns if c.name not in RUN_KEYS[1:]})
    return frame.astype({name: "int64" for name, value in fixed.items() if isinstance(value, int)})


def synthetic_probe_parts(step: int) -> dict[str, pd.DataFrame]:
    """One probe job's frames per per-job file stem of every registered probe (hand-written for the
    built-in probes, from the schema for any other), with the columns the probe rules write."""
    layers = range(1, N_LAYER + 1)
    betas = pd.DataFrame([{"fit_split": fit, "fit_seed": seed, "layer": layer,
                           "beta": 1.0 + (0.2 if fit == "ood" else 0.05) * (2 - layer) + 0.01 * seed,
                           "beta_norm": 1.0 + 0.1 * (2 - layer), "opt_step": 20, "converged": seed == 0}
                          for fit in ("id", "ood") for seed in (0, 1) for layer in layers])
    accuracy = pd.DataFrame([{"fit_split": fit, "fit_seed": seed, "split": split, "phase": phase,
                              "accuracy": 0.5 + 0.1 * (phase == "after"), "loss": 1.2 - 0.1 * (phase != "before"), "n": 96,
                              "temperature": 1.0 if phase == "before" else 1.5, "converged": True,
                              "stopped_step": 0 if phase == "before" else 20}
                             for fit in ("id", "ood") for seed in (0, 1) for split in ("heldout", "id", "ood")
                             for phase in ("before", "temperature", "after")])
    early = pd.DataFrame([{"split": split, "layer": layer, "accuracy": min(1.0, 0.2 * layer + (0.1 if split == "id" else 0)),
                           "loss": 2.0 - 0.3 * layer, "n": 96} for split in ("id", "ood") for layer in range(N_LAYER + 1)])
    attention = pd.DataFrame([{"split": split, "layer": layer, "sink_mass": 0.05, "signal_mass": 0.2 * layer,
                               "last_mass": 0.1, "other_mass": 0.85 - 0.2 * layer, "sink_is_signal": 1.0, "n": 96}
                              for split in ("id", "ood") for layer in layers])
    norms = pd.DataFrame([{"split": split, "layer": layer, "mean_norm": 1.0 + layer, "sd_norm": 0.1, "n": 96}
                          for split in ("id", "ood") for layer in range(N_LAYER + 1)])
    lens = pd.DataFrame([{"split": split, "layer": layer, "lens": lens, "accuracy": min(1.0, 0.25 * layer),
                          "loss": 2.0 - 0.3 * layer - 0.1 * (lens == "tuned") + 0.01 * seed, "kl_to_final": 0.5 * (N_LAYER - layer),
                          "n": 96, "fit_seed": seed, "steps_chosen": 100 * (lens == "tuned")}
                         for split in ("id", "ood") for layer in range(N_LAYER + 1) for lens in ("logit", "tuned")
                         for seed in (0, 1)])
    ablation = pd.DataFrame([{"split": split, "layer": layer, "ablation": kind, "accuracy": 0.4, "loss": 1.5, "n": 96,
                              "delta_accuracy": -0.1 * layer, "delta_loss": 0.2 * layer}
                             for split in ("id", "ood") for layer in layers for kind in ("zero", "mean")])
    metrics = {"p_target": 0.5, "logit_diff": 1.0, "target_accuracy": 0.6, "source_rate": 0.1}
    patching = pd.DataFrame([{"fit_seed": seed, "target_split": target, "source_split": source, "layer": layer,
                              **{m: v * layer / N_LAYER for m, v in metrics.items()},
                              **{f"{m}_clean": v for m, v in metrics.items()}, "n": 90}
                             for seed in (0, 1) for target, source in (("id", "ood"), ("ood", "id")) for layer in layers])
    parts = {"residual_scaling_betas": betas, "residual_scaling_accuracy": accuracy, "early_exit": early,
             "attention": attention, "residual_norm": norms, "tuned_lens": lens, "causal_ablation": ablation,
             "causal_patching": patching}
    for frame in parts.values():
        frame.insert(0, "step", np.int64(step))
        frame.insert(0, "run", "tiny")
    return {stem: parts[stem] if stem in parts else schema_part(schema, {"run": "tiny", "step": step})
            for probe in PROBES for stem, schema in probe.tables.items()}


def synthetic_readout_part(name: str, step: int, role: str) -> pd.DataFrame:
    """One job's frame of read-out ``name`` (what its job returns, plus the rule's keys, named as in
    the table: ``split`` the role, ``data_split`` the dataset split)."""
    if name != "linear_probe":
        fixed = {"run": "tiny", "step": step, "split": role, "data_split": SPLITS[role]}
        (schema,) = READOUTS[name].tables.values()
        return schema_part(schema, fixed)
    rows = [{"site": site, "layer": layer, "fold": fold, "fold_seed": 0, "n_train": 77, "n_test": 19, "classes": 5,
             "penalty": 0.01, "accuracy": 0.2 + 0.15 * layer + 0.01 * fold, "chance_accuracy": 0.2, "ce_bits": 2.3 - 0.3 * layer,
             "h_y_bits": 2.3, "v_info_bits": 0.3 * layer}
            for site, layers in (("resid_post", range(N_LAYER + 1)), ("final_norm", [N_LAYER]))
            for layer in layers for fold in range(3)]
    frame = pd.DataFrame(rows)
    for key, value in {"split": role, "data_split": SPLITS[role], "step": step, "run": "tiny"}.items():
        frame.insert(0, key, value)
    return frame


# Table name -> per-job file stem, from the probe registry (what the rules do).
PROBE_FILES = {schema.name: stem for probe in PROBES for stem, schema in probe.tables.items()}


def write_synthetic_tables(results_dir: Path, *, kernels=("gaussian",)) -> Path:
    """Build every table from synthetic per-job files under ``results_dir`` (as the rules do)."""
    runs, records = synthetic_runs(), synthetic_records()
    parts = []
    for step in STEPS:
        for role in SPLITS:
            path = results_dir / f"runs/tiny/mi/step-{step}/{SPLITS[role]}.parquet"
            path.parent.mkdir(parents=True, exist_ok=True)
            synthetic_mi_part(step, role, kernels=kernels).to_parquet(path)
            parts.append(path)
    write_table(mi_table(parts, records), results_dir / "tables/mi.parquet", "mi")
    probe_parts = synthetic_probe_parts(STEPS[-1])
    for table, probe in PROBE_FILES.items():
        path = results_dir / f"runs/tiny/probes/step-{STEPS[-1]}/{probe}.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        probe_parts[probe].to_parquet(path)
        write_table(analysis_table(table, [path], records), results_dir / f"tables/{table}.parquet", table)
    for readout in READOUTS:
        readout_paths = []
        for step in STEPS:
            for role in SPLITS:
                path = results_dir / f"runs/tiny/readouts/step-{step}/{SPLITS[role]}/{readout.name}.parquet"
                path.parent.mkdir(parents=True, exist_ok=True)
                synthetic_readout_part(readout.name, step, role).to_parquet(path)
                readout_paths.append(path)
        (table,) = (schema.name for schema in readout.tables.values())
        write_table(analysis_table(table, readout_paths, records), results_dir / f"tables/{table}.parquet", table)
    mi = pd.read_parquet(results_dir / "tables/mi.parquet")
    write_table(ridge_table(mi), results_dir / "tables/ridge.parquet", "ridge")
    write_table(paired_table(mi), results_dir / "tables/mi_paired.parquet", "mi_paired")
    sources = {name: pd.read_parquet(results_dir / f"tables/{name}.parquet") for name in source_tables()}
    write_table(verdict_table(sources), results_dir / "tables/verdict.parquet", "verdict")
    training = pd.DataFrame([{"run": "tiny", "step": step, "train_loss": None if step == 0 else 1.0 / (1 + step),
                              "split": split, "loss": 2.0 - step / 10, "accuracy": step / 13,
                              "weights_sha256": None, "duplicate_of": None}
                             for step in STEPS for split in ("id", "ood")])
    write_table(tables.with_run_keys(training, records), results_dir / "tables/training.parquet", "training")
    write_table(runs_table(runs, {"arithmetic": TaskConfig(kind="arithmetic", sizes={"train": 8})}, records),
                results_dir / "tables/runs.parquet", "runs")
    write_table(capacity_table(pd.read_parquet(results_dir / "tables/mi.parquet")),
                results_dir / "tables/capacity.parquet", "capacity")
    token_rows = pd.read_parquet(parts[0]).drop(columns="n_requested").query("quantity == 'mi'").assign(quantity="token", t=1, probe_task="arith", horizon=1)
    token_path = results_dir / "runs/tiny/multitoken/part.parquet"
    token_path.parent.mkdir(parents=True)
    token_rows.to_parquet(token_path)
    write_table(mi_table([token_path], records, "multitoken"), results_dir / "tables/multitoken.parquet", "multitoken")
    return results_dir


@pytest.fixture
def results_dir(tmp_path: Path) -> Path:
    return write_synthetic_tables(tmp_path / "results")


def test_every_table_has_the_declared_arrow_schema_and_version(results_dir):
    for name, schema in TABLES.items():
        table = pq.read_table(results_dir / f"tables/{name}.parquet")
        declared = [(c.name, c.type) for c in schema.columns]
        assert [(f.name, f.type) for f in table.schema][: len(declared)] == declared, name
        assert table.schema.metadata[b"inforidge.schema_version"] == tables.SCHEMA_VERSION.encode()
        assert table.schema.metadata[b"inforidge.table"] == name.encode()
    assert not list(results_dir.glob("tables/.*")), "temporary files left behind"


def test_shared_keys_lead_every_table(results_dir):
    for name in TABLES:
        frame = pd.read_parquet(results_dir / f"tables/{name}.parquet")
        assert list(frame.columns[:5]) == list(tables.RUN_KEYS), name
        assert frame[["model", "seed", "n_layer"]].drop_duplicates().values.tolist() == [["gpt2-L3-d32", 7, 3]]


def test_mi_table_renames_split_and_seed_columns(results_dir):
    mi = pd.read_parquet(results_dir / "tables/mi.parquet")
    assert set(mi["split"]) == {"id", "ood"} and set(mi["data_split"]) == {"eval_id", "eval_ood"}
    assert set(mi["sample_seed"]) == {0, 1} and set(mi["seed"]) == {7}
    assert mi["step"].is_monotonic_increasing


def test_residual_scaling_fit_seed_is_apart_from_the_run_seed(results_dir):
    betas = pd.read_parquet(results_dir / "tables/residual_scaling.parquet")
    assert set(betas["fit_seed"]) == {0, 1} and set(betas["seed"]) == {7}


def test_runs_table_keeps_flattened_settings_with_one_type_per_column(results_dir):
    runs = pd.read_parquet(results_dir / "tables/runs.parquet")
    assert runs.loc[0, "training.checkpoints"] == "[0, 4, 12]"
    assert pq.read_table(results_dir / "tables/runs.parquet").schema.field("model.name_or_path").type == "string"


@pytest.mark.parametrize(("change", "message"), [
    (lambda f: f.drop(columns="beta"), "missing columns \\['beta'\\]"),
    (lambda f: f.assign(extra=1), "undeclared columns \\['extra'\\]"),
    (lambda f: f.assign(layer=f["layer"].astype(float) + 0.5), "declared types"),
    (lambda f: f.assign(fit_split=None), "'fit_split' has null values"),
])
def test_conform_rejects_schema_violations(change, message):
    frame = tables.with_run_keys(synthetic_probe_parts(4)["residual_scaling_betas"],
                                 synthetic_records())
    conform(frame, "residual_scaling")  # the unchanged frame is valid
    with pytest.raises(ValueError, match=message):
        conform(change(frame), "residual_scaling")


def test_schema_parts_fit_every_registered_analysis_table():
    """The frames a new probe or read-out gets here from its schema alone are valid tables."""
    for probe in PROBES:
        for schema in probe.tables.values():
            conform(tables.with_run_keys(schema_part(schema, {"run": "tiny", "step": 4}), synthetic_records()),
                    schema.name)
    for readout in READOUTS:
        fixed = {"run": "tiny", "step": 4, "split": "id", "data_split": "eval_id"}
        for schema in readout.tables.values():
            conform(tables.with_run_keys(schema_part(schema, fixed), synthetic_records()), schema.name)


def test_rows_of_an_unconfigured_run_are_rejected():
    frame = synthetic_probe_parts(4)["early_exit"].assign(run="removed")
    with pytest.raises(ValueError, match="runs not in the config: \\['removed'\\]"):
        tables.with_run_keys(frame, synthetic_records())


def test_missing_part_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="step-4/attention.parquet"):
        analysis_table("attention", [tmp_path / "step-4/attention.parquet"], synthetic_records())


def test_unknown_table_name_lists_known_tables():
    with pytest.raises(ValueError, match="unknown table 'betas'.*residual_scaling"):
        tables.table_schema("betas")


def test_docs_describe_every_column_with_its_type(repo_root):
    """docs/tables.md is generated from the declared schemas (probe tables included) and is current."""
    text = (repo_root / "docs/tables.md").read_text()
    assert text == cli.tables_markdown(), "docs/tables.md is stale: run `inforidge tables schema > docs/tables.md`"
    for name, schema in TABLES.items():
        section = re.search(rf"^## `{name}`\n(.*?)(?=^## |\Z)", text, re.S | re.M)
        assert section, f"docs/tables.md lacks a '## `{name}`' section"
        for column in schema.columns:
            assert f"| `{column.name}` | {column.type} |" in section.group(1), f"{name}.{column.name} undocumented"
    assert f"Schema version: {tables.SCHEMA_VERSION}" in (repo_root / "docs/results.md").read_text()


def test_runs_table_gives_each_setting_one_type_whatever_the_runs_hold():
    """paper.yaml mixes gradient_checkpointing "auto" (GPT-2 runs) and true (Llama runs)."""
    base = synthetic_runs()["tiny"]
    runs = {"auto": replace(base, training=replace(base.training, gradient_checkpointing="auto")),
            "on": replace(base, training=replace(base.training, gradient_checkpointing=True))}
    alone = {"on": runs["on"]}
    task = {"arithmetic": TaskConfig(kind="arithmetic", sizes={"train": 8})}
    mixed = runs_table(runs, task, config_records(runs))
    assert mixed.set_index("run")["training.gradient_checkpointing"].to_dict() == {"auto": "auto", "on": "true"}
    for grid in (runs, alone):  # the same type whether or not the grid mixes the values
        table = tables._to_arrow(runs_table(grid, task, config_records(grid)), TABLES["runs"])
        assert table.schema.field("training.gradient_checkpointing").type == "string"
        assert table.schema.field("training.lr").type == "double"
        assert table.schema.field("model.n_embd").type == "int64"


def test_setting_types_follow_the_config_annotations():
    types_ = tables.setting_types()
    assert types_["training.gradient_checkpointing"] == "string"  # bool | "auto"
    assert types_["training.lora"] == "string" and types_["training.checkpoints"] == "string"
    assert types_["training.steps"] == "int64" and types_["task.ood_fraction"] == "double"
    assert types_["model.name_or_path"] == "string" and types_["training.precision"] == "string"


def _save_config(path: Path, **config) -> Path:
    path.mkdir(parents=True)
    (path / "config.json").write_text(json.dumps(config))
    return path


def test_run_record_holds_the_loaded_depth_and_every_table_takes_its_keys(tmp_path):
    """A pretrained run's n_layer is its checkpoint's, in every family's spelling of the key, in the
    record the run_record rule writes, and from there in the runs table (model.n_layer too)."""
    run = synthetic_runs()["tiny"]
    pretrained = replace(run.model, source="pretrained", name_or_path="somewhere", n_layer=4)
    runs = {"gpt2": replace(run, model=pretrained), "qwen": replace(run, model=pretrained)}
    start = {"gpt2": _save_config(tmp_path / "runs/gpt2/checkpoints/step-0", model_type="gpt2", n_layer=12),
             "qwen": _save_config(tmp_path / "runs/qwen/checkpoints/step-0", model_type="qwen2", num_hidden_layers=24)}
    paths = []
    for name, path in start.items():
        paths.append(tmp_path / f"runs/{name}/run.json")
        write_run_record(run_record(name, runs[name], path), paths[-1])
    records = read_run_records(paths)
    assert records["qwen"] == {"run": "qwen", "model": "somewhere", "task": "arithmetic", "seed": 7, "n_layer": 24}
    frame = runs_table(runs, {"arithmetic": TaskConfig(kind="arithmetic")}, records).set_index("run")
    assert frame["n_layer"].to_dict() == frame["model.n_layer"].to_dict() == {"gpt2": 12, "qwen": 24}
    with pytest.raises(ValueError, match=r"no run record for runs \['qwen'\]"):
        runs_table(runs, {"arithmetic": TaskConfig(kind="arithmetic")}, {"gpt2": records["gpt2"]})
    mi = synthetic_mi_part(0, "id").assign(run="qwen")
    assert set(tables.with_run_keys(mi, records)["n_layer"]) == {24}


def test_bad_run_records_are_named(tmp_path):
    (tmp_path / "a.json").write_text('{"run": "a"}')
    with pytest.raises(ValueError, match=r"run record .*a.json: expected the keys"):
        read_run_records([tmp_path / "a.json"])
    with pytest.raises(ValueError, match=r"cannot read the run record .*missing.json"):
        read_run_records([tmp_path / "missing.json"])
    record = synthetic_records()["tiny"]
    for name in ("b.json", "c.json"):
        write_run_record(record, tmp_path / name)
    with pytest.raises(ValueError, match=r"c.json: run 'tiny' already has a record"):
        read_run_records([tmp_path / "b.json", tmp_path / "c.json"])


def test_unreadable_model_config_is_named(tmp_path):
    with pytest.raises(ValueError, match="cannot read the model config .*step-0/config.json"):
        checkpoint_depth(tmp_path / "step-0")
    with pytest.raises(ValueError, match="no layer count"):
        checkpoint_depth(_save_config(tmp_path / "x", model_type="odd"))


def test_capacity_refuses_an_n_layer_that_the_activations_contradict(results_dir):
    mi = pd.read_parquet(results_dir / "tables/mi.parquet").assign(n_layer=4)
    with pytest.raises(ValueError, match=r"n_layer differs .*'tiny': \(4, 3\)"):
        capacity_table(mi)


def test_ridge_table_reads_the_excess_and_the_raw_curve(results_dir):
    ridge = pd.read_parquet(results_dir / "tables/ridge.parquet")
    assert set(ridge["value"]) == {"mi_excess", "mi"}
    assert set(ridge["site"]) == {"resid_post"}  # final_norm has one layer: no ridge
    last = ridge[(ridge["step"] == 12) & (ridge["value"] == "mi_excess")]
    assert (last["ridge_layer"] == 2).all() and (last["interior_fraction"] == 1.0).all()  # the synthetic ridge at 2
    assert (last["first_layer"] == 0).all() and (last["last_layer"] == N_LAYER).all()
    # Two subsample seeds allow no level-0.05 sign-flip test: the table says so instead of guessing.
    assert (ridge["verdict"] == "untestable").all() and (ridge["tested_layer"] == -1).all()
    assert (ridge["n"] == 64).all() and (ridge["n_requested"] == 64).all() and (ridge["permutations"] == 2).all()
    assert set(ridge["normalize"]) == {"l2"}


def test_paired_table_differs_each_layer_from_the_last_by_seed(results_dir):
    mi = pd.read_parquet(results_dir / "tables/mi.parquet")
    paired = pd.read_parquet(results_dir / "tables/mi_paired.parquet")
    assert (paired["layer_b"] == N_LAYER).all() and N_LAYER not in set(paired["layer_a"])
    row = paired.query("step == 12 and split == 'ood' and value == 'mi' and layer_a == 2").iloc[0]
    curve = mi.query("step == 12 and split == 'ood' and quantity == 'mi' and site == 'resid_post'")
    wide = curve.pivot(index="sample_seed", columns="layer", values="mi")
    diff = wide[2] - wide[N_LAYER]
    assert row["mean_diff"] == pytest.approx(diff.mean()) and row["seeds"] == 2
    assert row["ci_low"] < row["mean_diff"] < row["ci_high"]


def test_without_a_null_only_the_raw_curve_is_compared(results_dir):
    mi = pd.read_parquet(results_dir / "tables/mi.parquet")
    mi = mi.assign(null_mean=np.nan, null_std=np.nan, mi_excess=np.nan, mi_z=np.nan, p_value=np.nan)
    assert set(ridge_table(mi)["value"]) == {"mi"} and set(paired_table(mi)["value"]) == {"mi"}


def test_linear_probe_table_takes_the_split_role(results_dir):
    probe = pd.read_parquet(results_dir / "tables/linear_probe.parquet")
    assert set(probe["split"]) == {"id", "ood"} and set(probe["data_split"]) == {"eval_id", "eval_ood"}
    assert probe["seed"].eq(7).all()  # the run's training seed, not the fold seed


def test_runs_table_task_columns_do_not_depend_on_registration_order(monkeypatch):
    """A new task kind is its module and its import: wherever the import goes, TaskConfig's keys (and
    so the runs table's ``task.*`` columns) come out in the same order, derived from the kinds' names."""
    import dataclasses

    from inforidge.config import ContinuationConfig
    from inforidge.tasks import registry

    def task_keys() -> list[str]:
        return [f.name for f in dataclasses.fields(registry.task_config_class(ContinuationConfig))]

    assert task_keys() == [f.name for f in dataclasses.fields(TaskConfig)]
    reversed_kinds = registry.Registry("task kind")
    for kind in reversed(list(registry.TASK_KINDS)):
        reversed_kinds.register(kind)
    monkeypatch.setattr(registry, "TASK_KINDS", reversed_kinds)
    assert task_keys() == [f.name for f in dataclasses.fields(TaskConfig)]
