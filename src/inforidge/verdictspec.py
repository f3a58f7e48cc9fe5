"""The verdict table's read-outs and schema: which layer curves it lines up, declared once.

The ``verdict`` table (:mod:`inforidge.verdict` builds it) puts every layer-wise read-out of a
checkpoint side by side, each with the ridge test of :mod:`inforidge.mi.ridgetest` where the
read-out has replicates (subsample seeds, folds, fit seeds) and the words ``no replicates``
where it has none. A :class:`VerdictSource` says where one read-out's curves come from: its
table, the rows kept, the columns that tell its curves apart, the value compared and what a
replicate is. New read-outs register here (:data:`VERDICT_SOURCES`); the table rule takes
every source table the config produces. Torch-free and free of the table builders, so
:mod:`inforidge.tables` can declare the schema without an import cycle.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from inforidge.registry import Registry
from inforidge.tableschema import FLOAT, INT, SPLIT, STEP, STR, Column, run_schema


@dataclass(frozen=True)
class VerdictSource:
    """One read-out's layer curves in the verdict table.

    ``metrics``: metric name -> (source column, factor): the compared value is factor × column
    (the ablation's accuracy drop is −delta_accuracy, so that larger means "this layer matters
    more" for every read-out). ``rows``: column -> value filter. ``setting``: columns joined into
    the ``setting`` label (curves of one checkpoint and site differ by them). ``site``: the
    source's site column, or a constant label when the table has none. ``replicate``: the column
    indexing replicates (None: one value per layer, no test).
    """

    name: str
    table: str
    metrics: Mapping[str, tuple[str, float]]
    replicate: str | None
    replicate_kind: str
    site: str = "site"
    site_is_column: bool = True
    setting: tuple[str, ...] = ()
    rows: Mapping[str, object] = field(default_factory=dict)


VERDICT_SOURCES: Registry[VerdictSource] = Registry("verdict read-out")

VERDICT_SOURCES.register(VerdictSource(
    "mi", "mi", {"mi_excess": ("mi_excess", 1.0), "mi": ("mi", 1.0)}, "sample_seed", "subsample seed",
    setting=("kernel", "sigma", "normalize"), rows={"quantity": "mi"},
))
VERDICT_SOURCES.register(VerdictSource(
    "linear_probe", "linear_probe", {"v_info_bits": ("v_info_bits", 1.0), "accuracy": ("accuracy", 1.0)},
    "fold", "held-out fold",
))
VERDICT_SOURCES.register(VerdictSource(
    "logit_lens", "early_exit", {"accuracy": ("accuracy", 1.0)}, None, "none",
    site="resid_post", site_is_column=False,
))
VERDICT_SOURCES.register(VerdictSource(
    "tuned_lens", "tuned_lens", {"accuracy": ("accuracy", 1.0)}, "fit_seed", "lens fit seed",
    site="resid_post", site_is_column=False, rows={"lens": "tuned"},
))
VERDICT_SOURCES.register(VerdictSource(
    "ablation", "causal_ablation", {"accuracy_drop": ("delta_accuracy", -1.0)}, None, "none",
    site="block_update", site_is_column=False, setting=("ablation",),
))


def source_tables() -> list[str]:
    """Every table some verdict read-out reads, in registration order, once each."""
    return list(dict.fromkeys(source.table for source in VERDICT_SOURCES))


VERDICT_TABLE = run_schema(
    "verdict", "Where the information lives, read-out by read-out: one row per run, checkpoint, split, read-out "
    "curve and layer, with the curve's ridge test (interior layers against the last; inforidge.mi.ridgetest) "
    "repeated on each of its rows.", [
        STEP, SPLIT,
        Column("readout", STR, "`mi` (matrix-based Rényi MI), `linear_probe`, `logit_lens` (early exit), "
                               "`tuned_lens` or `ablation` (block update removed)"),
        Column("metric", STR, "value compared: `mi_excess` (MI over the permutation null; geometry-robust under "
                              "`whiten`), `mi` (raw plug-in; with `l2` the paper's estimator), `v_info_bits` "
                              "(V-information), `accuracy`, `accuracy_drop` (intact − ablated accuracy)"),
        Column("site", STR, "where the layer is read: `resid_post`, `final_norm`, or `block_update` (ablation: "
                            "block l's update removed)"),
        Column("setting", STR, "what else tells the curve apart: `kernel σ=sigma normalize` for MI, the ablation "
                               "(`zero` / `mean`), `-` for none"),
        Column("layer", INT, "layer l (0 = embeddings, L = last block); block l for the ablation"),
        Column("value", FLOAT, "mean over replicates of the metric at this layer"),
        Column("value_std", FLOAT, "standard deviation over replicates (ddof 1; null with one replicate)",
               nullable=True),
        Column("replicates", INT, "replicates behind the mean and the test (1: none)"),
        Column("replicate_kind", STR, "what a replicate is: `subsample seed` (disjoint rows), `held-out fold`, "
                                      "`lens fit seed`, `none`"),
        Column("diff_last", FLOAT, "mean over replicates of value(layer) − value(last layer), paired on the "
                                   "replicate"),
        Column("diff_ci_low", FLOAT, "95 % paired t-interval of diff_last, this layer alone (not simultaneous; "
                                     "null without replicates and on the last layer)", nullable=True),
        Column("diff_ci_high", FLOAT, "upper end of that interval", nullable=True),
        Column("verdict", STR, "the curve's ridge test: `ridge` (some interior layer above the last, family-wise "
                               "5 %), `no ridge`, `untestable` (fewer than 5 replicates), `no replicates`, `no spread` "
                               "(rejected only because the tested gap is identical in every replicate: t = ±∞)"),
        Column("tested_layer", INT, "the test's layer (the ridge's peak, else the smallest adjusted p); null when "
                                    "not tested", nullable=True),
        Column("gap", FLOAT, "mean value(tested_layer) − value(last)", nullable=True),
        Column("gap_ci_low", FLOAT, "simultaneous (over interior layers) interval of gap, from the sign flips",
               nullable=True),
        Column("gap_ci_high", FLOAT, "upper end of that interval", nullable=True),
        Column("p_adjusted", FLOAT, "step-down max-T adjusted p of tested_layer", nullable=True),
        Column("best_layer", INT, "argmax over layers of `value` (lowest on ties; descriptive, no test)"),
        Column("last_layer", INT, "the curve's last layer (the model's own read-out)"),
    ], ["run", "step", "split", "readout", "metric", "site", "setting", "layer"])
