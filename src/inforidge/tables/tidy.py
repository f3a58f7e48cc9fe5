"""Tidy result tables: one per observational unit, shared keys, a schema version.

Every table starts with the run keys (run, model, task, seed, n_layer) so tables join on
them; per-checkpoint tables add ``step``; per-layer tables add ``split`` (the eval role,
``id`` / ``ood``) and ``layer``. Each table has a declared schema (``TABLES``): column
order, Arrow type and a description. ``write_table`` enforces it (missing, extra or
null key columns are errors, values are cast to the declared types) and records the
table name and ``SCHEMA_VERSION`` in the Parquet metadata; ``inforidge.results.load``
checks both on read. docs/results.md documents every column (a test keeps it in sync).
"""

from __future__ import annotations

import types
import typing
from collections.abc import Mapping, Sequence
from dataclasses import fields, is_dataclass
from pathlib import Path
from typing import Any, Literal, Union

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from inforidge.analyses.registry import analyses
from inforidge.config import ModelConfig, RunConfig, TaskConfig, TrainingConfig, as_dict
from inforidge.core.atomic import temp_sibling
from inforidge.mi.bandwidth import BANDWIDTH_RULE_VALUES
from inforidge.mi.registry import LAYER_KERNELS
from inforidge.models.checkpoint_files import read_metrics, read_weights
from inforidge.tables.runrecord import RunRecord
from inforidge.tables.schema import (  # noqa: F401  (re-exported: the table vocabulary)
    BOOL, FLOAT, INT, RUN_COLUMNS, RUN_KEYS, SPLIT, STEP, STR, Column, TableSchema, run_schema,
)
from inforidge.tables.verdictschema import VERDICT_TABLE
from inforidge.workflow.series import duplicate_steps

#: Bump when a column is added, removed, renamed or changes type or meaning.
SCHEMA_VERSION = "8"
#: Parquet metadata keys recording which table a file holds and its schema version.
META_TABLE = b"inforidge.table"
META_VERSION = b"inforidge.schema_version"

#: The kernel bandwidth of an estimate, in two typed columns (inforidge.mi.bandwidth): one row set per value
#: of a sweep; a curve is identified by both.
BANDWIDTH = (
    Column("sigma", FLOAT, "kernel bandwidth σ when fixed (`bandwidth_rule` = `fixed`); NaN for a rule (σ is then "
                           "resolved on each subsample) and for kernels without a bandwidth", nullable=True),
    Column("bandwidth_rule", STR, f"how σ was set: {', '.join(f'`{v}`' for v in BANDWIDTH_RULE_VALUES)} "
                                  "(`none`: the kernel has no bandwidth)"),
)
#: Estimator settings recorded beside every MI value (mi and multitoken tables).
ESTIMATOR_SETTINGS = (
    Column("kernel", STR, f"Gram-matrix kernel ({', '.join(LAYER_KERNELS)})"),
    *BANDWIDTH,
    Column("alpha", FLOAT, "Rényi order α (1 = von Neumann)"),
    Column("normalize", STR, "row preprocessing: `whiten` (geometry-robust), `l2` (the paper's) or `none`"),
    Column("base", FLOAT, "logarithm base (2 = bits)"),
    Column("permutations", INT, "permutation-null shuffles P (0 = no null)"),
    Column("resampling", STR, "`disjoint`: the seeds' subsamples are disjoint blocks of the dump (independent "
                              "estimates); `random`: each seed drew its rows on its own (overlapping)"),
)
#: One estimate: sample size, the raw plug-in MI, its permutation test, and the three entropies.
ESTIMATES = (
    Column("n", INT, "examples in the estimate N"),
    Column("mi", FLOAT, "raw plug-in estimate I(Z;Y) = S(A) + S(B) − S(A,B), biased upward at finite N "
                        "by an amount that depends on the layer's geometry (docs/mi.md) [log base `base`]"),
    Column("null_mean", FLOAT, "mean of I over P shuffles of Y against Z: the raw value's reading at "
                               "independence (NaN when P = 0)", nullable=True),
    Column("null_std", FLOAT, "standard deviation (ddof 1) of I over the P shuffles (NaN when P < 2)", nullable=True),
    Column("mi_excess", FLOAT, "mi − null_mean: excess over the permutation null, a test statistic "
                               "(not an unbiased MI at α = 1; docs/mi.md) (NaN when P = 0)", nullable=True),
    Column("mi_z", FLOAT, "mi_excess / null_std: the excess in null standard deviations (NaN when P < 2)",
           nullable=True),
    Column("p_value", FLOAT, "permutation p-value (1 + #{null ≥ mi}) / (1 + P) of independence (NaN when P = 0)",
           nullable=True),
    Column("h_z", FLOAT, "matrix entropy S(A) of the states"),
    Column("h_y", FLOAT, "matrix entropy S(B) of the targets"),
    Column("h_joint", FLOAT, "joint entropy S(A,B)"),
)


TABLES: dict[str, TableSchema] = {
    schema.name: schema
    for schema in (
        run_schema("runs", "One row per configured run, with its flattened settings.", [], ["run"], extra=True),
        run_schema("training", "Per checkpoint and eval split: first-target-token loss and accuracy.", [
            STEP, SPLIT,
            Column("train_loss", FLOAT, "mean training loss of the segment that ended at this step (null at step 0)",
                   nullable=True),
            Column("loss", FLOAT, "mean cross-entropy of the first target token on the eval split [nats]"),
            Column("accuracy", FLOAT, "top-1 accuracy of the first target token on the eval split"),
            Column("weights_sha256", STR, "series steps: sha256 over the step's weight files (name:sha256 lines; "
                                          "a hub revision's files checked against the hashes the hub records); "
                                          "null for trained checkpoints", nullable=True),
            Column("duplicate_of", INT, "series steps: the earliest step of the run with identical weights "
                                        "(analysed only with model.series.allow_duplicates); null when distinct",
                   nullable=True),
        ], ["run", "step", "split"]),
        run_schema("mi", "Matrix-based Rényi MI per checkpoint, split, site, layer, kernel and subsample seed.", [
            STEP, SPLIT,
            Column("data_split", STR, "dataset split the activations came from (e.g. `eval_id`)"),
            Column("site", STR, "hook site: `resid_post` (residual stream) or `final_norm` (after the final norm)"),
            Column("quantity", STR, "`mi`: I(Z_l; Y); `gain`: I(ΔZ_l; Y) with ΔZ_l = Z_l − Z_{l−1}"),
            Column("layer", INT, "layer l: 0 = embedding output, L = last block"),
            *ESTIMATOR_SETTINGS,
            Column("sample_seed", INT, "seed of the subsample of examples this estimate used"),
            *ESTIMATES,
            Column("n_requested", INT, "examples per subsample the config asked for (mi.n_samples; 0: as many as "
                                       "the split allows); n < n_requested means the split was too small "
                                       "(warned in the MI job log)"),
        ], ["run", "step", "split", "kernel", "bandwidth_rule", "sigma", "site", "quantity", "layer", "sample_seed"]),
    )
}
# Probe and read-out tables come from the analysis registries: each analysis declares the tables it writes.
TABLES.update({schema.name: schema for spec in analyses() for schema in spec.tables.values()})

# Tables derived from the mi table (inforidge.tables.ridge): the ridge statistic and paired layer differences.
_CURVE = (
    STEP, SPLIT,
    Column("site", STR, "hook site: `resid_post` or `final_norm` (curves with more than one layer only)"),
    Column("kernel", STR, "Gram-matrix kernel"),
    *BANDWIDTH,
    Column("normalize", STR, "row preprocessing: `whiten` (invariant to affine maps of a layer) or `l2` (the "
                             "paper's; geometry can make a ridge: docs/mi.md)"),
    Column("value", STR, "mi table column compared: `mi_excess` (excess over the permutation null) or `mi` (raw)"),
)
TABLES["ridge"] = run_schema("ridge", "The ridge test of every I(Z_l; Y) layer curve (interior layers against the "
                                      "last, sign-flip max-T over subsamples, family-wise error ≤ `level`), and the "
                                      "descriptive argmax layer with its spread across subsample seeds.", [
    *_CURVE,
    Column("n", INT, "examples per subsample the estimates really used (the smallest over the curve)"),
    Column("n_requested", INT, "examples per subsample the config asked for (0: as many as the split allows)"),
    Column("permutations", INT, "permutation-null shuffles P behind `mi_excess` (smallest null p = 1/(P+1))"),
    Column("verdict", STR, "`ridge`: some interior layer is above the last at family-wise level `level`; "
                           "`no ridge`; `no spread`: a rejection whose gaps are identical in every seed "
                           "(t = ±∞, not counted); "
                           "`untestable`: fewer than 5 subsample seeds or no interior layer"),
    Column("tested_layer", INT, "the ridge's peak: the rejected interior layer with the largest gap (no ridge: "
                                "the interior layer with the smallest adjusted p; −1 when untestable)"),
    Column("gap", FLOAT, "mean over seeds of value(tested_layer) − value(last_layer)", nullable=True),
    Column("gap_ci_low", FLOAT, "lower end of the gap's simultaneous (1 − level) interval over the interior "
                                "layers", nullable=True),
    Column("gap_ci_high", FLOAT, "upper end of that interval", nullable=True),
    Column("p_adjusted", FLOAT, "step-down max-T sign-flip p of tested_layer, adjusted for the interior layers "
                                "tested (smallest attainable: 2^−seeds)", nullable=True),
    Column("layers_tested", INT, "interior layers tested (first_layer < l < last_layer)"),
    Column("flips", INT, "sign flips in the null distribution (2^seeds up to 12 seeds)"),
    Column("level", FLOAT, "family-wise error level of the verdict"),
    Column("peak_verdict", STR, "the argmax layer against every other layer (multiple comparisons with the best, "
                                "sign flips over seeds, error ≤ `level` although the argmax is chosen on the data): "
                                "`peak`, `no peak`, `no spread` (identical gaps in every seed) or `untestable` "
                                "(fewer than 5 seeds)"),
    Column("peak_layer", INT, "the tested argmax: argmax of the seed-mean over the seeds present at every layer "
                              "(−1 when untestable)"),
    Column("peak_rival", INT, "the layer the argmax beats by the smallest t: its closest rival (−1 when untestable)"),
    Column("peak_gap", FLOAT, "mean over seeds of value(peak_layer) − value(peak_rival)", nullable=True),
    Column("peak_gap_ci_low", FLOAT, "lower end of the gap's MCB-simultaneous (1 − level) interval", nullable=True),
    Column("peak_gap_ci_high", FLOAT, "upper end of that interval", nullable=True),
    Column("peak_p", FLOAT, "sign-flip p of the argmax over its closest rival, maximised over candidate layers "
                            "(smallest attainable: 2^−seeds)", nullable=True),
    Column("ridge_layer", INT, "descriptive, not a test: argmax over layers of the seed-mean of `value` "
                               "(lowest layer on ties)"),
    Column("ridge_layer_mean", FLOAT, "mean over seeds of each seed's own argmax layer"),
    Column("ridge_layer_std", FLOAT, "standard deviation (ddof 1) of the per-seed argmax layers (NaN for one "
                                     "seed)", nullable=True),
    Column("interior_fraction", FLOAT, "share of seeds whose argmax lies strictly inside the stack "
                                       "(first_layer < argmax < last_layer)"),
    Column("first_layer", INT, "first layer of the curve"),
    Column("last_layer", INT, "last layer of the curve"),
    Column("ridge_position", FLOAT, "(ridge_layer − first_layer) / (last_layer − first_layer)"),
    Column("seeds", INT, "subsample seeds"),
], ["run", "step", "split", "site", "kernel", "bandwidth_rule", "sigma", "normalize", "value"])
TABLES["mi_paired"] = run_schema("mi_paired", "Layer l minus the last layer of its curve, paired by subsample "
                                              "seed, with a t-interval over seeds.", [
    *_CURVE,
    Column("layer_a", INT, "layer l"),
    Column("layer_b", INT, "the last layer L of the curve (the same site)"),
    Column("mean_diff", FLOAT, "mean over seeds of value(l) − value(L)"),
    Column("std_diff", FLOAT, "standard deviation (ddof 1) of the paired differences (NaN for one seed)",
           nullable=True),
    Column("seeds", INT, "seeds present at both layers"),
    Column("ci_low", FLOAT, "lower end of the 95% t-interval of mean_diff (NaN for one seed)", nullable=True),
    Column("ci_high", FLOAT, "upper end of the 95% t-interval of mean_diff (NaN for one seed)", nullable=True),
], ["run", "step", "split", "site", "kernel", "bandwidth_rule", "sigma", "normalize", "value", "layer_a"])


# Sweep tables (built by inforidge.tables.capacity and the MI stage's multi-token jobs); L for capacity is measured.
_CAPACITY_RUN = tuple(c for c in RUN_COLUMNS if c.name != "n_layer")

TABLES["capacity"] = TableSchema(
    "capacity",
    "Per run depth: seed-mean MI by layer and relative depth, and the ridge position per checkpoint.",
    (
        *_CAPACITY_RUN,
        Column("n_layer", INT, "blocks L, measured from the activations (the largest layer of the mi table)"),
        STEP, SPLIT,
        Column("kernel", STR, "Gram-matrix kernel"),
        *BANDWIDTH,
        Column("normalize", STR, "row preprocessing: `whiten` (geometry-robust) or `l2` (the paper's)"),
        Column("site", STR, "hook site: `resid_post` or `final_norm`"),
        Column("layer", INT, "layer l: 0 = embedding output, L = last block"),
        Column("relative_depth", FLOAT, "l / L (0 = embeddings, 1 = last block)"),
        Column("mi_mean", FLOAT, "mean over subsample seeds of the raw MI I(Z_l; Y) [log base of the mi table]"),
        Column("mi_std", FLOAT, "standard deviation over subsample seeds (NaN for one seed)", nullable=True),
        Column("mi_excess_mean", FLOAT, "mean over seeds of the excess over the permutation null, mi − null_mean "
                                        "(NaN without a null)", nullable=True),
        Column("sample_seeds", INT, "subsample seeds averaged"),
        Column("ridge_layer", INT, "the ridge test's layer for this curve: the tested layer when it finds a ridge "
                                   "(family-wise 5 %), else L (table `ridge`, docs/mi.md)"),
        Column("ridge_position", FLOAT, "ridge_layer / L (1: no interior layer shown above the last)"),
        Column("ridge_value", STR, "the column the ridge test compared: `mi_excess` when the null ran, else `mi`"),
        Column("ridge_verdict", STR, "`ridge`, `no ridge`, `no spread` (identical gaps in every seed) or "
                                     "`untestable` (fewer than 5 subsample seeds)"),
        Column("ridge_p", FLOAT, "the test's adjusted p (family-wise over the interior layers)", nullable=True),
    ),
    ("n_layer", "run", "step", "split", "kernel", "bandwidth_rule", "sigma", "normalize", "site", "layer"),
)

# Every read-out's layer curves side by side with the ridge test (inforidge.tables.verdict).
TABLES["verdict"] = VERDICT_TABLE

TABLES["multitoken"] = TableSchema(
    "multitoken",
    "Multi-token generation: MI per checkpoint, split, site, layer, decoding step t and subsample seed.",
    (
        *RUN_COLUMNS, STEP, SPLIT,
        Column("data_split", STR, "dataset split of the multi-token task (e.g. `eval_id`)"),
        Column("probe_task", STR, "task whose reference continuations were teacher-forced"),
        Column("horizon", INT, "decoding steps T of the dump"),
        Column("site", STR, "hook site: `resid_post` or `final_norm`"),
        Column("quantity", STR, "`token`: I(Z_l^(t); Y^(t)); `sequence`: MI under the sequence kernel over t = 1..T"),
        Column("layer", INT, "layer l: 0 = embedding output, L = last block"),
        Column("t", INT, "decoding step 1..T (`token` rows); 0 for `sequence` rows (all steps pooled)"),
        *ESTIMATOR_SETTINGS,
        Column("sample_seed", INT, "seed of the subsample of examples (shared by all t, layers and the sequence row)"),
        *ESTIMATES,
    ),
    ("run", "step", "split", "kernel", "bandwidth_rule", "sigma", "site", "quantity", "layer", "t", "sample_seed"),
)


def table_schema(name: str) -> TableSchema:
    """The declared schema of table ``name``; ValueError listing the known tables."""
    try:
        return TABLES[name]
    except KeyError:
        raise ValueError(f"unknown table {name!r} (known tables: {', '.join(TABLES)})") from None


def with_run_keys(frame: pd.DataFrame, records: Mapping[str, RunRecord]) -> pd.DataFrame:
    """Add model/task/seed/n_layer columns to a frame that has a ``run`` column, from the runs'
    records (:mod:`inforidge.tables.runrecord`: ``results/runs/{run}/run.json`` in the workflow).

    A run in ``frame`` without a record is an error: its rows would otherwise get null keys
    (results of a run since removed from the config).
    """
    unknown = sorted(set(frame["run"]) - set(records))
    if unknown:
        raise ValueError(f"rows for runs not in the config: {unknown} (configured: {sorted(records)})")
    clashing = [c for c in RUN_KEYS[1:] if c in frame.columns]
    if clashing:
        raise ValueError(f"per-job frame already has run-key columns {clashing}; rename them first")
    keys = pd.DataFrame([{key: record[key] for key in RUN_KEYS} for record in records.values()])
    return keys.merge(frame, on="run", how="inner", validate="one_to_many")


def concat_parts(parts: Sequence[str | Path]) -> pd.DataFrame:
    """Concatenate per-job Parquet frames; FileNotFoundError/ValueError name the bad file."""
    frames = []
    for part in parts:
        try:
            frames.append(pd.read_parquet(part))
        except (OSError, pa.ArrowException) as err:
            if not Path(part).exists():
                raise FileNotFoundError(f"per-job result missing: {part}") from None
            raise ValueError(f"unreadable per-job result {part}: {err}") from None
    if not frames:
        raise ValueError("no per-job results to aggregate")
    return pd.concat(frames, ignore_index=True)


def mi_table(parts: Sequence[str | Path], records: Mapping[str, RunRecord], name: str = "mi") -> pd.DataFrame:
    """Concatenate per-job MI frames into the ``mi`` table (or ``multitoken``: the same stage's multi-token jobs).

    Per-job frames already carry the table's names: the eval split's role as ``split`` (as
    every other table), its dataset name as ``data_split``, the subsample as ``sample_seed``
    (``seed`` is the run's). ``records``: the runs' key columns (:func:`with_run_keys`).
    """
    return conform(with_run_keys(concat_parts(parts), records), name)


def analysis_table(name: str, parts: Sequence[str | Path], records: Mapping[str, RunRecord]) -> pd.DataFrame:
    """Concatenate the per-job frames of a probe or read-out into its table ``name``.

    A read-out's frames key the eval split as the MI stage's do (``split``: id / ood,
    ``data_split``: the dataset split); a probe's name the role ``split``. Per-job frames never
    carry a ``seed`` column of their own (a probe's seed is e.g. ``fit_seed``): ``seed`` is the
    run's training seed in every table.
    """
    return conform(with_run_keys(concat_parts(parts), records), name)


def training_table(checkpoints: Sequence[str | Path], run_names: Sequence[str],
                   records: Mapping[str, RunRecord]) -> pd.DataFrame:
    """Per-checkpoint training metrics, long in the eval split (id / ood), with a series step's weight hash."""
    rows, hashes = [], {}
    for run, path in zip(run_names, checkpoints, strict=True):
        metrics = read_metrics(Path(path))
        weights = read_weights(Path(path))
        if weights is not None:
            hashes.setdefault(run, {})[metrics["step"]] = weights["sha256"]
        for role in ("id", "ood"):
            if f"{role}_accuracy" in metrics:
                rows.append({"run": run, "step": metrics["step"], "train_loss": metrics.get("train_loss"),
                             "split": role, "loss": metrics[f"{role}_loss"], "accuracy": metrics[f"{role}_accuracy"],
                             "weights_sha256": weights["sha256"] if weights else None})
    repeats = {(run, step): first
               for run, by_step in hashes.items() for step, first in duplicate_steps(by_step).items()}
    frame = pd.DataFrame(rows)
    frame["duplicate_of"] = [repeats.get(key) for key in zip(frame["run"], frame["step"])] if rows else []
    return conform(with_run_keys(frame, records), "training")


def runs_table(runs: Mapping[str, RunConfig], tasks: Mapping[str, TaskConfig],
               records: Mapping[str, RunRecord]) -> pd.DataFrame:
    """One row per run: its key columns (``records``) and its flattened model, training and task settings.

    ``model.n_layer`` holds the record's ``n_layer``, the depth the model loaded with (a
    pretrained model's own, not the unused scratch default). Each column has one type whatever
    the runs hold, taken from the setting's annotation in the config model
    (:func:`setting_types`): a setting that mixes types (``true`` / ``"auto"``, a number or a
    rule name) and lists and mappings are stored as text.
    """
    missing = sorted(set(runs) - set(records))
    if missing:
        raise ValueError(f"no run record for runs {missing}")
    types_ = setting_types()
    rows = []
    for name, run in runs.items():
        flat = {key: records[name][key] for key in RUN_KEYS}
        flat.update({f"model.{k}": v for k, v in as_dict(run.model).items()})
        flat["model.n_layer"] = flat["n_layer"]
        flat.update({f"training.{k}": v for k, v in as_dict(run.training).items()})
        flat.update({f"task.{k}": v for k, v in as_dict(tasks[run.task]).items()})
        rows.append({k: _setting_cell(v, types_.get(k)) for k, v in flat.items()})
    return conform(pd.DataFrame(rows), "runs")


def setting_types() -> dict[str, pa.DataType]:
    """Arrow type of every ``model.*``, ``training.*`` and ``task.*`` column of the runs table."""
    return {f"{prefix}.{field.name}": _arrow_type(hint)
            for prefix, cls in (("model", ModelConfig), ("training", TrainingConfig), ("task", TaskConfig))
            for field, hint in ((f, typing.get_type_hints(cls)[f.name]) for f in fields(cls))}


_SCALARS = {bool: BOOL, int: INT, float: FLOAT, str: STR}


def _arrow_type(hint: Any) -> pa.DataType:
    """One Arrow type for an annotation: its scalar type, else string (unions of kinds, containers)."""
    options = typing.get_args(hint) if typing.get_origin(hint) in (Union, types.UnionType) else (hint,)
    kinds = {_scalar_type(option) for option in options if option is not type(None)}
    return kinds.pop() if len(kinds) == 1 and None not in kinds else STR


def _scalar_type(hint: Any) -> pa.DataType | None:
    if typing.get_origin(hint) is Literal:
        kinds = {_SCALARS.get(type(value)) for value in typing.get_args(hint)}
        return kinds.pop() if len(kinds) == 1 else None
    return None if is_dataclass(hint) else _SCALARS.get(hint)


def _setting_cell(value: Any, arrow: pa.DataType | None) -> Any:
    """A setting as stored: text for string columns (booleans as YAML spells them), else unchanged."""
    if value is None or isinstance(value, str) or not (arrow == STR or isinstance(value, (list, dict))):
        return value
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def conform(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    """Check ``frame`` against table ``name``'s schema; return it in column and sort order.

    Raises ValueError naming missing or undeclared columns and null keys, and casts
    values to the declared types (an uncastable value is an error, never a silent NaN).
    """
    schema = table_schema(name)
    missing = [c for c in schema.names if c not in frame.columns]
    if missing:
        raise ValueError(f"table {name}: missing columns {missing}")
    extra = [c for c in frame.columns if c not in schema.names]
    if extra and not schema.extra_columns:
        raise ValueError(f"table {name}: undeclared columns {extra} (declare them in inforidge.tables.tidy.TABLES)")
    for column in schema.columns:
        if not column.nullable and frame[column.name].isna().any():
            raise ValueError(f"table {name}: column {column.name!r} has null values")
    arrow = _to_arrow(frame[schema.names + extra], schema)
    return arrow.to_pandas().sort_values(list(schema.sort), ignore_index=True, kind="stable")


def _to_arrow(frame: pd.DataFrame, schema: TableSchema) -> pa.Table:
    declared = [pa.field(c.name, c.type, c.nullable) for c in schema.columns]
    extra = [c for c in frame.columns if c not in schema.names]
    # The runs table's settings take their config annotation's type; other extras (settings the
    # config model lacks) their values' type, all-null ones string rather than Arrow's null type.
    known = setting_types() if schema.extra_columns else {}
    columns = declared + [pa.field(c, known.get(c) or (STR if frame[c].isna().all() else pa.Array.from_pandas(frame[c]).type))
                          for c in extra]
    try:
        return pa.Table.from_pandas(frame, schema=pa.schema(columns), preserve_index=False, safe=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError) as err:
        raise ValueError(f"table {schema.name}: values do not match the declared types: {err}") from None


def write_table(frame: pd.DataFrame, path: str | Path, name: str) -> None:
    """Validate ``frame`` as table ``name`` and write it atomically with its schema version."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    schema = table_schema(name)
    table = _to_arrow(conform(frame, name), schema)
    meta = {**(table.schema.metadata or {}), META_TABLE: name.encode(), META_VERSION: SCHEMA_VERSION.encode()}
    tmp = temp_sibling(path)
    pq.write_table(table.replace_schema_metadata(meta), tmp)
    tmp.replace(path)
