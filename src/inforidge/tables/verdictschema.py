"""The ``verdict`` table's declared columns (built by :mod:`inforidge.tables.verdict`; read-outs in
:mod:`inforidge.analyses.verdictspec`). Apart from both so that :mod:`inforidge.tables.tidy` declares it without
importing the read-out declarations or the builder (no import cycle; a source edit reruns only
the verdict table)."""

from __future__ import annotations

from inforidge.tables.schema import FLOAT, INT, SPLIT, STEP, STR, Column, run_schema

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
